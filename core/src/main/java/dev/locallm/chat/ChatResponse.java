package dev.locallm.chat;

import dev.locallm.tool.ToolCall;
import java.util.List;
import java.util.Objects;

/**
 * The complete result of one chat generation. Immutable and thread-safe.
 *
 * @param message      the assistant turn: text and tool calls; append it to the conversation to continue it
 * @param finishReason why generation ended
 * @param usage        token counts
 * @param timings      time to first token, total time and decode speed
 */
public record ChatResponse(AssistantMessage message, FinishReason finishReason, Usage usage, Timings timings) {

    public ChatResponse {
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(finishReason, "finishReason");
        Objects.requireNonNull(usage, "usage");
        Objects.requireNonNull(timings, "timings");
    }

    /** The reply text; shorthand for {@code message().text()}. */
    public String text() {
        return message.text();
    }

    /** The tool calls of the reply; shorthand for {@code message().toolCalls()}. */
    public List<ToolCall> toolCalls() {
        return message.toolCalls();
    }
}
