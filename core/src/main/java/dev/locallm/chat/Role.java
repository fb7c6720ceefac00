package dev.locallm.chat;

import java.util.Locale;

/** Who wrote a {@link ChatMessage}. */
public enum Role {
    SYSTEM,
    USER,
    ASSISTANT,
    /** The result of a tool call, sent back to the model. */
    TOOL;

    /** The lower-case name used by chat templates and the OpenAI wire format: {@code "system"}, {@code "user"}... */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
