package dev.locallm.tool;

import java.util.Objects;

/**
 * A call to a tool that the model asked for. Immutable.
 *
 * @param id        identifies the call, so that a {@link dev.locallm.chat.ToolResultMessage} can answer it
 * @param name      the tool's name
 * @param arguments the arguments as a JSON object text
 */
public record ToolCall(String id, String name, String arguments) {

    /** Checks the parts. */
    public ToolCall {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(arguments, "arguments");
    }
}
