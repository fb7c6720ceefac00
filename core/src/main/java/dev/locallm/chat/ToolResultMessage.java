package dev.locallm.chat;

import java.util.Objects;

/**
 * The result of running a tool the model asked for, sent back in the next request. Immutable.
 *
 * @param toolCallId the {@link dev.locallm.tool.ToolCall#id()} this answers; it must name a call of an earlier
 *                   assistant message of the same request
 * @param toolName   the name of the tool that ran
 * @param text       the result, usually JSON
 */
public record ToolResultMessage(String toolCallId, String toolName, String text) implements ChatMessage {

    /** Checks the parts. */
    public ToolResultMessage {
        Objects.requireNonNull(toolCallId, "toolCallId");
        Objects.requireNonNull(toolName, "toolName");
        Objects.requireNonNull(text, "text");
    }

    /** The result of the call with this id to this tool. */
    public static ToolResultMessage of(String toolCallId, String toolName, String text) {
        return new ToolResultMessage(toolCallId, toolName, text);
    }

    @Override
    public Role role() {
        return Role.TOOL;
    }
}
