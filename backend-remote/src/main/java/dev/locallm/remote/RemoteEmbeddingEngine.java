package dev.locallm.remote;

import dev.locallm.error.GenerationException;
import dev.locallm.internal.Json;
import dev.locallm.spi.EmbeddingEngine;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** Embeddings from a remote server's {@code /v1/embeddings}. Thread-safe; nothing to release. */
final class RemoteEmbeddingEngine implements EmbeddingEngine {
    private final RemoteServer server;
    private final int dimension;

    RemoteEmbeddingEngine(RemoteServer server) {
        this.server = server;
        this.dimension = embed("dimension").length;
    }

    @Override
    public float[] embed(String text) {
        ObjectNode body = Json.MAPPER.createObjectNode().put("model", server.model()).put("input", text)
                .put("encoding_format", "float");
        JsonNode vector = server.transport().postJson("/embeddings", body).path("data").path(0).path("embedding");
        if (vector.isString()) {
            ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder().decode(vector.asString()))
                    .order(ByteOrder.LITTLE_ENDIAN);
            float[] out = new float[bytes.remaining() / 4];
            bytes.asFloatBuffer().get(out);
            return out;
        }
        if (!vector.isArray() || vector.isEmpty()) {
            throw new GenerationException("The server's embeddings answer has no data[0].embedding array");
        }
        float[] out = new float[vector.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = vector.get(i).floatValue();
        }
        return out;
    }

    @Override
    public int dimension() {
        return dimension;
    }

    @Override
    public void close() {
        // stateless over HTTP
    }
}
