package dev.locallm.error;

import java.util.List;

/**
 * JSON output, or a tool call that {@link dev.locallm.tool.ToolChoice} required, reached the token limit before
 * it was complete (finish reason {@link dev.locallm.chat.FinishReason#LENGTH}). {@link #rawText()} holds the
 * partial text. Raise
 * {@code maxTokens}, or set {@link dev.locallm.chat.TruncationPolicy#CLOSE_JSON} to get it closed instead.
 */
public class TruncatedOutputException extends StructuredOutputException {
    private static final long serialVersionUID = 1L;

    /**
     * @param rawText the output, cut short
     */
    public TruncatedOutputException(String rawText) {
        super("The JSON output was cut short by the token limit before it was complete", rawText, List.of());
    }
}
