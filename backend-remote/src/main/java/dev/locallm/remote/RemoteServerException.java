package dev.locallm.remote;

import dev.locallm.error.GenerationException;
import java.util.Optional;

/**
 * A remote server answered with an error: its HTTP status, the error message it gave, its error code when it
 * named one, and the raw body (at most 64 KB). One subclass per kind of answer says what to do about it:
 * {@link RemoteBadRequestException} (fix the request), {@link RemoteAuthenticationException} (fix the key),
 * {@link RemoteNotFoundException} (fix the model name or URL), {@link RemoteRateLimitException} and
 * {@link RemoteServerErrorException} (a server failure; 408, 502, 503 and 504 are {@link #retryable()}, and those and
 * 429 were retried first as configured).
 * A prompt too long for the server's context is a {@link dev.locallm.error.ContextLengthExceededException} instead,
 * when its numbers could be read.
 *
 * <pre>{@code
 * try {
 *     model.chat(request);
 * } catch (RemoteServerException e) {
 *     if (e.retryable()) { ... }
 *     log.warn("{} answered {} ({}): {}", server, e.status(), e.code().orElse("-"), e.getMessage());
 * }
 * }</pre>
 *
 * <p>Immutable; safe to share between threads.
 */
public abstract sealed class RemoteServerException extends GenerationException permits RemoteBadRequestException,
        RemoteAuthenticationException, RemoteNotFoundException, RemoteRateLimitException, RemoteServerErrorException {
    private static final long serialVersionUID = 1L;

    /** The HTTP status. */
    private final int status;
    /** The server's error code, or {@code null}. */
    private final String code;
    /** The body as sent. */
    private final String body;

    RemoteServerException(int status, String message, String code, String body) {
        super("The server answered " + status + ": " + message);
        this.status = status;
        this.code = code;
        this.body = body;
    }

    /** The exception for an error answer with this status. */
    static RemoteServerException of(int status, String message, String code, String body) {
        if (status == 401 || status == 403) {
            return new RemoteAuthenticationException(status, message, code, body);
        }
        if (status == 404 || status / 100 == 3) {
            return new RemoteNotFoundException(status, message, code, body);
        }
        if (status == 429) {
            return new RemoteRateLimitException(status, message, code, body);
        }
        if (status >= 500 || status == 408) {
            return new RemoteServerErrorException(status, message, code, body);
        }
        return new RemoteBadRequestException(status, message, code, body);
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

    /** Whether the same request may succeed later: a rate limit (429), a server timeout (408, 504), a server busy or
     * behind a failing proxy (502, 503). */
    public abstract boolean retryable();
}
