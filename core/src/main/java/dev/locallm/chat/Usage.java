package dev.locallm.chat;

/**
 * Token counts of one generation. Immutable.
 *
 * @param promptTokens     tokens of the rendered prompt, special tokens included
 * @param completionTokens tokens the model generated
 */
public record Usage(int promptTokens, int completionTokens) {

    public Usage {
        if (promptTokens < 0 || completionTokens < 0) {
            throw new IllegalArgumentException("token counts must not be negative: " + promptTokens + ", "
                    + completionTokens);
        }
    }

    public int totalTokens() {
        return promptTokens + completionTokens;
    }
}
