package dev.locallm.remote;

import dev.locallm.error.ModelUnavailableException;

/**
 * No answer could be had from the server at all: the connection was refused, timed out or broke before a status
 * line, on every attempt ({@code retries} after the first). Nothing about the request is wrong; the server is down,
 * elsewhere, or unreachable from here. Immutable.
 */
public final class RemoteUnreachableException extends ModelUnavailableException {
    private static final long serialVersionUID = 1L;

    private final String baseUrl;
    private final int attempts;

    RemoteUnreachableException(String baseUrl, int attempts, String why, Throwable cause) {
        super("The server at " + baseUrl + " is unreachable: " + why + " (" + attempts
                + (attempts == 1 ? " attempt)" : " attempts)"), cause);
        this.baseUrl = baseUrl;
        this.attempts = attempts;
    }

    /** The base URL that could not be reached. */
    public String baseUrl() {
        return baseUrl;
    }

    /** How many times a connection was tried. */
    public int attempts() {
        return attempts;
    }
}
