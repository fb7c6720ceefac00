package dev.locallm.chat;

import java.util.Locale;

/** Who wrote a {@link ChatMessage}. */
public enum Role {
    /** Instructions to the model. */
    SYSTEM,
    /** The user's turn. */
    USER,
    /** The model's turn. */
    ASSISTANT,
    /** The result of a tool call, sent back to the model. */
    TOOL;

    /** The lower-case name used by chat templates and the OpenAI wire format: {@code "system"}, {@code "user"}... */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
