package dev.locallm.openai;

/**
 * Limits on what one request may carry, checked while it is read. Immutable.
 *
 * @param maxMessages messages in a chat request
 * @param maxTools    tools in a chat request
 * @param maxTokens   the largest {@code max_tokens} accepted
 */
public record RequestLimits(int maxMessages, int maxTools, int maxTokens) {
    /** No limit beyond what the values allow. */
    public static final RequestLimits NONE = new RequestLimits(Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE);
}
