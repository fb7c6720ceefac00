package dev.locallm.remote;

import dev.locallm.error.GenerationException;
import java.util.Optional;

/**
 * A remote server answered with an error: its HTTP status, the error message it gave, its error code when it
 * named one, and the raw body (at most 64 KB). Client errors (4xx) are not retried; 408, 429 and 5xx were
 * retried first as configured. A prompt too long for the server's context is a
 * {@link dev.locallm.error.ContextLengthExceededException} instead, when its numbers could be read.
 * Immutable; safe to share between threads.
 */
public class RemoteServerException extends GenerationException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String code;
    private final String body;

    public RemoteServerException(int status, String message, String code, String body) {
        super("The server answered " + status + ": " + message);
        this.status = status;
        this.code = code;
        this.body = body;
    }

    /** The HTTP status. */
    public int status() {
        return status;
    }

    /** The error code the server gave ({@code error.code} or {@code error.type}), if any. */
    public Optional<String> code() {
        return Optional.ofNullable(code);
    }

    /** The response body as the server sent it (cut at 64 KB). */
    public String body() {
        return body;
    }
}
