package dev.locallm.error;

/**
 * The model cannot answer now, for a reason outside the request: the server it runs on is down or cannot be
 * reached. Nothing about the request is wrong, and the same request is expected to succeed once the model is back.
 * The OpenAI-compatible server answers it with 503 and {@code Retry-After}; a batch job stops on it without writing a
 * result, so that running it again sends the request again.
 */
public class ModelUnavailableException extends GenerationException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what could not be reached, and why
     * @param cause the underlying error
     */
    public ModelUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
