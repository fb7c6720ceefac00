package dev.locallm.error;

/**
 * A generation that was streaming from a remote server broke off before it ended: the connection dropped, the
 * server stopped sending for longer than the read timeout, or it sent an error mid-stream. It is not retried,
 * since part of the answer was already delivered; {@link #partialText()} holds that part.
 */
public class StreamInterruptedException extends GenerationException {
    private static final long serialVersionUID = 1L;

    /** The text received before the stream broke off. */
    private final String partialText;

    /**
     * @param message why the stream broke off
     * @param partialText the text received before that
     * @param cause the underlying failure, or {@code null}
     */
    public StreamInterruptedException(String message, String partialText, Throwable cause) {
        super(message, cause);
        this.partialText = partialText;
    }

    /** The text received before the stream broke off; empty when none was. */
    public String partialText() {
        return partialText;
    }
}
