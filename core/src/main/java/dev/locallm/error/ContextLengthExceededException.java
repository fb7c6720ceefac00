package dev.locallm.error;

/**
 * The prompt, or the prompt plus the requested {@code maxTokens}, does not fit the model's context window.
 * Shorten the conversation or ask for fewer tokens.
 */
public class ContextLengthExceededException extends InvalidRequestException {
    private static final long serialVersionUID = 1L;

    private final int promptTokens;
    private final int requestedCompletionTokens;
    private final int contextLength;

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
