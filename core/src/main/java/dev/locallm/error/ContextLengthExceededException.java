package dev.locallm.error;

/**
 * The prompt, or the prompt plus the requested {@code maxTokens}, does not fit the model's context window.
 * Shorten the conversation or ask for fewer tokens.
 */
public class ContextLengthExceededException extends InvalidRequestException {
    private static final long serialVersionUID = 1L;

    /** Tokens in the rendered prompt. */
    private final int promptTokens;
    /** The {@code maxTokens} asked for, or 0. */
    private final int requestedCompletionTokens;
    /** Tokens the context window holds. */
    private final int contextLength;

    /**
     * @param promptTokens tokens in the rendered prompt
     * @param requestedCompletionTokens the {@code maxTokens} asked for, or 0 when none was set
     * @param contextLength tokens the context window of one request holds
     */
    public ContextLengthExceededException(int promptTokens, int requestedCompletionTokens, int contextLength) {
        super(message(promptTokens, requestedCompletionTokens, contextLength), "messages");
        this.promptTokens = promptTokens;
        this.requestedCompletionTokens = requestedCompletionTokens;
        this.contextLength = contextLength;
    }

    private static String message(int prompt, int completion, int context) {
        if (completion <= 0) {
            return "The prompt has " + prompt + " tokens but the context window holds " + context
                    + " tokens, with at least one left for the reply.";
        }
        return "This model's context window holds " + context + " tokens, but " + (prompt + completion)
                + " were requested (" + prompt + " in the messages, " + completion + " for the completion).";
    }

    /** Tokens in the rendered prompt. */
    public int promptTokens() {
        return promptTokens;
    }

    /** The {@code maxTokens} the request asked for, or 0 when it set none. */
    public int requestedCompletionTokens() {
        return requestedCompletionTokens;
    }

    /** Tokens the context window of one request holds. */
    public int contextLength() {
        return contextLength;
    }
}
