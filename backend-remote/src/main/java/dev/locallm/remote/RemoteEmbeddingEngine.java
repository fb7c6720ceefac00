package dev.locallm.remote;

import dev.locallm.error.GenerationException;
import dev.locallm.openai.Embeddings;
import dev.locallm.spi.EmbeddingEngine;
import tools.jackson.databind.JsonNode;

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
        JsonNode answer = server.transport().postJson("/embeddings", Embeddings.writeRequest(server.model(), text));
        try {
            return Embeddings.readFirst(answer);
        } catch (IllegalArgumentException e) {
            throw new GenerationException("The server's " + e.getMessage());
        }
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
