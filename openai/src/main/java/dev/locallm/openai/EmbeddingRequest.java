package dev.locallm.openai;

import java.util.List;
import java.util.Objects;

/**
 * An embeddings request ({@code POST /v1/embeddings}) as read from the wire. Immutable.
 *
 * @param model  the model name asked for
 * @param inputs the texts to embed, in order
 * @param base64 whether vectors are answered as base64 of little-endian floats rather than arrays
 */
public record EmbeddingRequest(String model, List<String> inputs, boolean base64) {
    /** Checks the model name; the inputs are copied. */
    public EmbeddingRequest {
        Objects.requireNonNull(model, "model");
        inputs = List.copyOf(inputs);
    }
}
