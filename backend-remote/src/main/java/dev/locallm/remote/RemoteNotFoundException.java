package dev.locallm.remote;

/**
 * The server has no such model or endpoint (404), or sent the request elsewhere (a 3xx redirect, never followed so
 * that the API key only goes to the configured host): check the model name and the base URL (most servers serve
 * under {@code /v1}). Not retryable. Immutable.
 */
public final class RemoteNotFoundException extends RemoteServerException {
    private static final long serialVersionUID = 1L;

    RemoteNotFoundException(int status, String message, String code, String body) {
        super(status, message, code, body);
    }

    @Override
    public boolean retryable() {
        return false;
    }
}
