package dev.locallm.openai;

import dev.locallm.chat.ChatRequest;
import java.util.Objects;

/**
 * A chat completion request as read from the wire. Immutable.
 *
 * @param model        the model name asked for
 * @param request      the LocaLLM request
 * @param stream       whether to answer with server-sent events
 * @param includeUsage whether a streamed answer ends with a usage chunk
 */
public record ChatCompletionRequest(String model, ChatRequest request, boolean stream, boolean includeUsage) {
    /** Checks that the model name and the request are present. */
    public ChatCompletionRequest {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(request, "request");
    }
}
