package dev.locallm.chat;

import dev.locallm.tool.ToolCall;
import java.util.List;
import java.util.Objects;

/**
 * What the model said: text, tool calls, or both. Immutable.
 *
 * @param text      the reply text; empty when the turn consists only of tool calls
 * @param toolCalls the tool calls the model made in this turn, in order; empty when none
 */
public record AssistantMessage(String text, List<ToolCall> toolCalls) implements ChatMessage {

    /** Checks the parts; the calls are copied. */
    public AssistantMessage {
        Objects.requireNonNull(text, "text");
        toolCalls = List.copyOf(toolCalls);
    }

    /** A turn of text only. */
    public static AssistantMessage of(String text) {
        return new AssistantMessage(text, List.of());
    }

    /** A turn of tool calls only. */
    public static AssistantMessage ofToolCalls(List<ToolCall> toolCalls) {
        return new AssistantMessage("", toolCalls);
    }

    @Override
    public Role role() {
        return Role.ASSISTANT;
    }

    /** Whether the model asked for at least one tool call. */
    public boolean hasToolCalls() {
        return !toolCalls.isEmpty();
    }
}
