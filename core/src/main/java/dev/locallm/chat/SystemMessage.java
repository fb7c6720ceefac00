package dev.locallm.chat;

import java.util.Objects;

/** Instructions that frame the conversation, usually first. Immutable. */
public record SystemMessage(String text) implements ChatMessage {

    /** Checks the text. */
    public SystemMessage {
        Objects.requireNonNull(text, "text");
    }

    /** A system message of this text. */
    public static SystemMessage of(String text) {
        return new SystemMessage(text);
    }

    @Override
    public Role role() {
        return Role.SYSTEM;
    }
}
