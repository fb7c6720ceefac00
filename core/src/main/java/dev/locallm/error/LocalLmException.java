package dev.locallm.error;

/**
 * Root of every exception LocaLLM throws. It is unchecked: callers catch the subclass that says what to do
 * next.
 *
 * <ul>
 *   <li>{@link InvalidRequestException}: fix the request (and its subclass {@link ContextLengthExceededException});
 *   <li>{@link ModelLoadException}: fix the model file or its location;
 *   <li>{@link BackendUnavailableException}: install or configure a backend;
 *   <li>{@link GenerationCancelledException}: the generation was cancelled on purpose;
 *   <li>{@link GenerationException}: the backend failed while generating; retrying may help.
 * </ul>
 *
 * <p>Exceptions are immutable once thrown and safe to share between threads.
 */
public class LocalLmException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what went wrong
     */
    public LocalLmException(String message) {
        super(message);
    }

    /**
     * @param message what went wrong
     * @param cause the underlying failure
     */
    public LocalLmException(String message, Throwable cause) {
        super(message, cause);
    }
}
