package dev.locallm.batch;

import dev.locallm.error.LocalLmException;

/**
 * A batch job cannot go on: its input cannot be read, or its output cannot be read back or written. A failing
 * request never ends a job; it becomes an error line of the output.
 */
public class BatchException extends LocalLmException {
    private static final long serialVersionUID = 1L;

    /** A failure with its message. */
    public BatchException(String message) {
        super(message);
    }

    /** A failure caused by {@code cause}, usually an {@link java.io.IOException}. */
    public BatchException(String message, Throwable cause) {
        super(message, cause);
    }
}
