package dev.locallm.chat;

/**
 * One message of a conversation. The permitted types are immutable records:
 *
 * <pre>{@code
 * if (message instanceof AssistantMessage a && a.hasToolCalls()) {
 *     a.toolCalls().forEach(call -> System.out.println(call.name()));
 * }
 * }</pre>
 */
public sealed interface ChatMessage permits SystemMessage, UserMessage, AssistantMessage, ToolResultMessage {

    /** Who wrote the message. */
    Role role();

    /** The message text; empty, never null, when the message has none (an assistant turn with only tool calls). */
    String text();
}
