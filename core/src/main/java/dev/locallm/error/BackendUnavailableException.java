package dev.locallm.error;

/**
 * No backend can serve the request as configured: none on the class path handles the model URI, its native
 * library failed to load, or a requested device (such as a GPU) is not present. The message names what to
 * add or configure.
 */
public class BackendUnavailableException extends LocalLmException {
    private static final long serialVersionUID = 1L;

    /** @param message what is missing and which dependency or native library to add */
    public BackendUnavailableException(String message) {
        super(message);
    }

    /**
     * @param message what is missing and which dependency or native library to add
     * @param cause   what failed while loading it
     */
    public BackendUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
