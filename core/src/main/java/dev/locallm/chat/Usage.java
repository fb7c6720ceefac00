package dev.locallm.chat;

/**
 * Token counts of one generation. Immutable and thread-safe.
 */
public final class Usage {
    private final int promptTokens;
    private final int completionTokens;

    private Usage(int promptTokens, int completionTokens) {
        if (promptTokens < 0 || completionTokens < 0) {
            throw new IllegalArgumentException("token counts must not be negative: " + promptTokens + ", "
                    + completionTokens);
        }
        this.promptTokens = promptTokens;
        this.completionTokens = completionTokens;
    }

    /**
     * @param promptTokens     tokens of the rendered prompt, special tokens included
     * @param completionTokens tokens the model generated
     */
    public static Usage of(int promptTokens, int completionTokens) {
        return new Usage(promptTokens, completionTokens);
    }

    /** Tokens of the rendered prompt, special tokens included. */
    public int promptTokens() {
        return promptTokens;
    }

    /** Tokens the model generated (tool calls included). */
    public int completionTokens() {
        return completionTokens;
    }

    /** Prompt and completion tokens. */
    public int totalTokens() {
        return promptTokens + completionTokens;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Usage u && promptTokens == u.promptTokens && completionTokens == u.completionTokens;
    }

    @Override
    public int hashCode() {
        return 31 * promptTokens + completionTokens;
    }

    @Override
    public String toString() {
        return "Usage[prompt " + promptTokens + ", completion " + completionTokens + "]";
    }
}
