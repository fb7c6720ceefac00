package dev.locallm.remote;

/** The server failed (5xx) or timed out on its side (408): retryable. Immutable. */
public final class RemoteServerErrorException extends RemoteServerException {
    private static final long serialVersionUID = 1L;

    RemoteServerErrorException(int status, String message, String code, String body) {
        super(status, message, code, body);
    }

    @Override
    public boolean retryable() {
        return true;
    }
}
