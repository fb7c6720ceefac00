package dev.locallm.error;

/**
 * A model could not be loaded: the file is missing, unreadable, truncated or malformed, or the backend
 * refused it. The message names the file and, for malformed files, the field and byte offset at fault.
 */
public class ModelLoadException extends LocalLmException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what is wrong with the model or its file
     */
    public ModelLoadException(String message) {
        super(message);
    }

    /**
     * @param message what is wrong with the model or its file
     * @param cause the underlying failure
     */
    public ModelLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
