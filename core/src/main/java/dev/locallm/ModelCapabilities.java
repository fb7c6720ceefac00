package dev.locallm;

import java.util.Objects;

/**
 * What a loaded model and its backend can do. Immutable.
 *
 * @param modelName             the model's name (from its metadata, or its file name)
 * @param backend               the backend serving it, such as {@code "llama.cpp"}
 * @param contextLength         tokens the context window of one request holds (prompt and completion)
 * @param parallelRequests      how many generations run at the same time; more wait their turn
 * @param streaming             whether generations stream token by token
 * @param tools                 whether the backend handles tool definitions and tool calls
 * @param structuredOutput      whether the backend can constrain output to a JSON schema
 */
public record ModelCapabilities(
        String modelName,
        String backend,
        int contextLength,
        int parallelRequests,
        boolean streaming,
        boolean tools,
        boolean structuredOutput) {

    public ModelCapabilities {
        Objects.requireNonNull(modelName, "modelName");
        Objects.requireNonNull(backend, "backend");
    }
}
