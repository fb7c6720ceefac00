package dev.locallm.remote;

/**
 * The server refused the credentials (401) or the access (403): check the API key ({@code api-key-env}) and what it
 * may use. Not retryable. Immutable.
 */
public final class RemoteAuthenticationException extends RemoteServerException {
    private static final long serialVersionUID = 1L;

    RemoteAuthenticationException(int status, String message, String code, String body) {
        super(status, message, code, body);
    }

    @Override
    public boolean retryable() {
        return false;
    }
}
