package dev.locallm.tool;

import java.util.Objects;

/**
 * A piece of a tool call while it streams, as in the OpenAI API: the first delta of a call carries its id and
 * name, later ones more of its arguments text. Concatenating the argument pieces of one index gives
 * {@link ToolCall#arguments()}. Immutable.
 *
 * @param index     which call of the turn (0 for the first)
 * @param id        the call's id on its first delta, empty after
 * @param name      the tool's name on its first delta, empty after
 * @param arguments the next piece of the arguments JSON text; may be empty
 */
public record ToolCallDelta(int index, String id, String name, String arguments) {

    /** Checks the parts. */
    public ToolCallDelta {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(arguments, "arguments");
    }
}
