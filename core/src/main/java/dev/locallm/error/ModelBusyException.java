package dev.locallm.error;

/**
 * The model could not run this generation because of the requests running beside it, not because of this one
 * (for llama.cpp: its shared KV cache had no room for the prompt, or another request's prompt made it drop this
 * generation). The same request is expected to succeed when sent again. The server runs a request answered in one
 * piece again (twice) before answering 503 with {@code Retry-After}, which OpenAI clients retry on their own; a
 * stream that had started ends with this error.
 */
public class ModelBusyException extends GenerationException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what happened, and what to change if it keeps happening
     * @param cause the engine's own error
     */
    public ModelBusyException(String message, Throwable cause) {
        super(message, cause);
    }
}
