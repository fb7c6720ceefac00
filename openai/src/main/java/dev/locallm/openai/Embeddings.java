package dev.locallm.openai;

import dev.locallm.EmbeddingModel;
import dev.locallm.error.InvalidRequestException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** Embeddings ({@code /v1/embeddings}): requests and answers, read and written. Stateless; thread-safe. */
public final class Embeddings {
    /** The most inputs one request may carry, as OpenAI allows. */
    public static final int MAX_INPUTS = 2048;

    private Embeddings() {
    }

    /**
     * Reads a request: {@code input} a string or an array of strings, {@code encoding_format} float or base64.
     *
     * @throws InvalidRequestException naming the parameter that is wrong
     */
    public static EmbeddingRequest readRequest(JsonNode body) {
        String model = Fields.requiredString(body, "model");
        JsonNode input = body.get("input");
        List<String> inputs = new ArrayList<>();
        if (input != null && input.isString()) {
            inputs.add(input.asString());
        } else if (input != null && input.isArray() && !input.isEmpty()) {
            for (JsonNode i : input) {
                if (!i.isString()) {
                    throw new InvalidRequestException("'input' must be a string or an array of strings (token arrays "
                            + "are not supported)", "input");
                }
                inputs.add(i.asString());
            }
        } else {
            throw new InvalidRequestException("'input' must be a non-empty string or array of strings", "input");
        }
        if (inputs.size() > MAX_INPUTS) {
            throw new InvalidRequestException("at most " + MAX_INPUTS + " inputs are allowed", "input");
        }
        if (inputs.stream().anyMatch(String::isEmpty)) {
            throw new InvalidRequestException("'input' must not contain empty strings", "input");
        }
        String encoding = body.has("encoding_format") ? body.get("encoding_format").asString("") : "float";
        if (!encoding.equals("float") && !encoding.equals("base64")) {
            throw new InvalidRequestException("'encoding_format' must be float or base64", "encoding_format");
        }
        return new EmbeddingRequest(model, inputs, encoding.equals("base64"));
    }

    /** A request for one text's vector, as floats. */
    public static ObjectNode writeRequest(String model, String input) {
        return JsonMapper.shared().createObjectNode().put("model", model).put("input", input)
                .put("encoding_format", "float");
    }

    /**
     * Embeds a request's inputs with the model and writes the answer; the prompt tokens in its usage are estimated
     * (about four characters a token, at least one per input).
     */
    public static ObjectNode answer(EmbeddingRequest request, EmbeddingModel model) {
        List<float[]> vectors = model.embedAll(request.inputs());
        int tokens = request.inputs().stream().mapToInt(s -> Math.max(1, s.length() / 4)).sum();
        return write(request.model(), vectors, request.base64(), tokens);
    }

    /** The answer: a list of {@code embedding} objects, and the prompt tokens as usage. */
    public static ObjectNode write(String model, List<float[]> vectors, boolean base64, int promptTokens) {
        ObjectNode root = JsonMapper.shared().createObjectNode();
        root.put("object", "list");
        ArrayNode data = root.putArray("data");
        for (int i = 0; i < vectors.size(); i++) {
            ObjectNode e = data.addObject();
            e.put("object", "embedding");
            e.put("index", i);
            if (base64) {
                ByteBuffer bytes = ByteBuffer.allocate(vectors.get(i).length * 4).order(ByteOrder.LITTLE_ENDIAN);
                for (float f : vectors.get(i)) {
                    bytes.putFloat(f);
                }
                e.put("embedding", Base64.getEncoder().encodeToString(bytes.array()));
            } else {
                ArrayNode v = e.putArray("embedding");
                for (float f : vectors.get(i)) {
                    v.add(f);
                }
            }
        }
        root.put("model", model);
        ObjectNode usage = root.putObject("usage");
        usage.put("prompt_tokens", promptTokens);
        usage.put("total_tokens", promptTokens);
        return root;
    }

    /**
     * The first vector of an answer, as floats or as base64 of little-endian floats.
     *
     * @throws IllegalArgumentException when the answer has no {@code data[0].embedding}
     */
    public static float[] readFirst(JsonNode answer) {
        JsonNode vector = answer.path("data").path(0).path("embedding");
        if (vector.isString()) {
            ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder().decode(vector.asString()))
                    .order(ByteOrder.LITTLE_ENDIAN);
            float[] out = new float[bytes.remaining() / 4];
            bytes.asFloatBuffer().get(out);
            return out;
        }
        if (!vector.isArray() || vector.isEmpty()) {
            throw new IllegalArgumentException("the embeddings answer has no data[0].embedding array");
        }
        float[] out = new float[vector.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = vector.get(i).floatValue();
        }
        return out;
    }
}
