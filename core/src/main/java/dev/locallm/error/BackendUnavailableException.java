package dev.locallm.error;

/**
 * No backend can serve the request as configured: none on the class path handles the model URI, its native
 * library failed to load, or a requested device (such as a GPU) is not present. The message names what to
 * add or configure.
 */
public class BackendUnavailableException extends LocalLmException {
    private static final long serialVersionUID = 1L;

    public BackendUnavailableException(String message) {
        super(message);
    }

    public BackendUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
