package dev.locallm.chat;

import java.util.Objects;

/** What the user said. Immutable. */
public record UserMessage(String text) implements ChatMessage {

    /** Checks the text. */
    public UserMessage {
        Objects.requireNonNull(text, "text");
    }

    /** A user message of this text. */
    public static UserMessage of(String text) {
        return new UserMessage(text);
    }

    @Override
    public Role role() {
        return Role.USER;
    }
}
