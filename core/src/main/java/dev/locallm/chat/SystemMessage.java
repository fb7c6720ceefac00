package dev.locallm.chat;

import java.util.Objects;

/** Instructions that frame the conversation, usually first. Immutable. */
public record SystemMessage(String text) implements ChatMessage {

    public SystemMessage {
        Objects.requireNonNull(text, "text");
    }

    public static SystemMessage of(String text) {
        return new SystemMessage(text);
    }

    @Override
    public Role role() {
        return Role.SYSTEM;
    }
}
