package dev.locallm.remote;

/**
 * The server refused the request as invalid (400, 409, 413, 415, 422 and other 4xx answers): fix the request. Not
 * retryable. Immutable.
 */
public final class RemoteBadRequestException extends RemoteServerException {
    private static final long serialVersionUID = 1L;

    RemoteBadRequestException(int status, String message, String code, String body) {
        super(status, message, code, body);
    }

    @Override
    public boolean retryable() {
        return false;
    }
}
