package dev.locallm.error;

/**
 * The backend failed while generating, for a reason that is not the request's fault (a native error, an
 * out-of-memory condition in the backend). The same request may succeed later.
 */
public class GenerationException extends LocalLmException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what failed
     */
    public GenerationException(String message) {
        super(message);
    }

    /**
     * @param message what failed
     * @param cause the underlying failure
     */
    public GenerationException(String message, Throwable cause) {
        super(message, cause);
    }
}
