package dev.locallm.remote;

/** The server is rate limiting (429): retryable, after its {@code Retry-After} when it sent one. Immutable. */
public final class RemoteRateLimitException extends RemoteServerException {
    private static final long serialVersionUID = 1L;

    RemoteRateLimitException(int status, String message, String code, String body) {
        super(status, message, code, body);
    }

    @Override
    public boolean retryable() {
        return true;
    }
}
