package dev.locallm.remote;

/**
 * The server failed (5xx) or timed out on its side (408). Only answers that say "not now" are
 * {@linkplain #retryable() retryable}: 408, 502, 503 and 504. A 500 or 501 is how several servers (llama-server among
 * them) refuse a request they cannot serve, such as tools in a stream, so sending it again would fail again.
 * Immutable.
 */
public final class RemoteServerErrorException extends RemoteServerException {
    private static final long serialVersionUID = 1L;

    RemoteServerErrorException(int status, String message, String code, String body) {
        super(status, message, code, body);
    }

    @Override
    public boolean retryable() {
        int status = status();
        return status == 408 || status == 502 || status == 503 || status == 504;
    }
}
