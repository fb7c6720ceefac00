package dev.locallm.chat;

import dev.locallm.tool.ToolCallDelta;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One step of a streamed generation: a piece of text, pieces of tool calls, and on the last chunk the complete
 * response. Concatenating {@link #text()} of every chunk gives {@link ChatResponse#text()}; the tool-call
 * deltas of one index add up to that call. Immutable.
 */
public final class ChatChunk {
    private final String text;
    private final List<ToolCallDelta> toolCallDeltas;
    private final ChatResponse response;

    private ChatChunk(String text, List<ToolCallDelta> toolCallDeltas, ChatResponse response) {
        this.text = Objects.requireNonNull(text, "text");
        this.toolCallDeltas = List.copyOf(toolCallDeltas);
        this.response = response;
    }

    /** A chunk in the middle of the stream. */
    public static ChatChunk ofText(String text) {
        return new ChatChunk(text, List.of(), null);
    }

    /** A chunk in the middle of the stream, with text and tool-call pieces. */
    public static ChatChunk of(String text, List<ToolCallDelta> toolCallDeltas) {
        return new ChatChunk(text, toolCallDeltas, null);
    }

    /** The last chunk of a stream, with any text still held back and the complete response. */
    public static ChatChunk last(String text, ChatResponse response) {
        return new ChatChunk(text, List.of(), Objects.requireNonNull(response, "response"));
    }

    /** The last chunk, with remaining tool-call pieces. */
    public static ChatChunk last(String text, List<ToolCallDelta> toolCallDeltas, ChatResponse response) {
        return new ChatChunk(text, toolCallDeltas, Objects.requireNonNull(response, "response"));
    }

    /** The text this chunk adds; may be empty. */
    public String text() {
        return text;
    }

    /** Pieces of tool calls this chunk adds; empty for most chunks. */
    public List<ToolCallDelta> toolCallDeltas() {
        return toolCallDeltas;
    }

    /** Whether this is the last chunk of its stream. */
    public boolean isLast() {
        return response != null;
    }

    /** The complete response; present only on the last chunk. */
    public Optional<ChatResponse> response() {
        return Optional.ofNullable(response);
    }

    @Override
    public String toString() {
        return response == null ? "ChatChunk[" + text + "]" : "ChatChunk[" + text + ", " + response.finishReason() + "]";
    }
}
