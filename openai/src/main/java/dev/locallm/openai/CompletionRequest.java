package dev.locallm.openai;

import dev.locallm.chat.GenerationOptions;
import java.util.Objects;

/**
 * A legacy completion request ({@code POST /v1/completions}) as read from the wire. Immutable.
 *
 * @param model        the model name asked for
 * @param prompt       the prompt text
 * @param options      the generation options ({@code max_tokens} 16 when absent, as OpenAI does)
 * @param stream       whether to answer with server-sent events
 * @param includeUsage whether a streamed answer ends with a usage chunk
 * @param echo         whether the answer repeats the prompt before the completion
 */
public record CompletionRequest(String model, String prompt, GenerationOptions options, boolean stream,
        boolean includeUsage, boolean echo) {
    /** Checks that the parts are present. */
    public CompletionRequest {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(options, "options");
    }
}
