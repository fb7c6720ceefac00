package dev.locallm.chat;

import java.util.Objects;
import java.util.Optional;

/**
 * One step of a streamed generation: a piece of text, and on the last chunk the complete response.
 * Concatenating {@link #text()} of every chunk gives {@link ChatResponse#text()}. Immutable.
 */
public final class ChatChunk {
    private final String text;
    private final ChatResponse response;

    private ChatChunk(String text, ChatResponse response) {
        this.text = Objects.requireNonNull(text, "text");
        this.response = response;
    }

    /** A chunk in the middle of the stream. */
    public static ChatChunk ofText(String text) {
        return new ChatChunk(text, null);
    }

    /** The last chunk of a stream, with any text still held back and the complete response. */
    public static ChatChunk last(String text, ChatResponse response) {
        return new ChatChunk(text, Objects.requireNonNull(response, "response"));
    }

    /** The text this chunk adds; may be empty. */
    public String text() {
        return text;
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
