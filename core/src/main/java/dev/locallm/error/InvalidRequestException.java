package dev.locallm.error;

/**
 * The request is wrong and sending it again unchanged will fail again: empty messages, an out-of-range
 * option, a message sequence the model's chat template rejects. Thrown before any native or remote call.
 */
public class InvalidRequestException extends LocalLmException {
    private static final long serialVersionUID = 1L;

    /** The parameter at fault, or empty. */
    private final String parameter;

    /**
     * @param message what is wrong with the request
     */
    public InvalidRequestException(String message) {
        this(message, "");
    }

    /**
     * @param message   what is wrong with the request
     * @param parameter the name of the offending request parameter (for example {@code "maxTokens"}), or an
     *                  empty string when no single parameter is at fault
     */
    public InvalidRequestException(String message, String parameter) {
        super(message);
        this.parameter = parameter;
    }

    /**
     * @param message   what is wrong with the request
     * @param parameter the offending parameter, or an empty string
     * @param cause     the underlying failure
     */
    public InvalidRequestException(String message, String parameter, Throwable cause) {
        super(message, cause);
        this.parameter = parameter;
    }

    /** The offending request parameter, or an empty string when no single parameter is at fault. */
    public String parameter() {
        return parameter;
    }
}
