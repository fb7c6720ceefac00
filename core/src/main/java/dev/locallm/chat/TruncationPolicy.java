package dev.locallm.chat;

/** What to do when JSON output reaches {@code maxTokens} or the end of the context before it is complete. */
public enum TruncationPolicy {
    /**
     * Report it: a blocking call throws {@link dev.locallm.error.TruncatedOutputException} carrying the partial
     * text; streams end with {@link FinishReason#LENGTH}.
     */
    FAIL,
    /**
     * Close it: append the shortest text the grammar allows from where generation stopped (closing strings,
     * arrays and objects, filling required members), so the result still validates. The finish reason stays
     * {@link FinishReason#LENGTH}, since content was cut; for tool calls forced by {@code tool_choice} the calls
     * are closed the same way and the turn ends with {@link FinishReason#TOOL_CALLS}.
     */
    CLOSE_JSON
}
