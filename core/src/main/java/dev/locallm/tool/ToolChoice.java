package dev.locallm.tool;

import java.util.Objects;
import java.util.Optional;

/**
 * Whether and which tool the model must call. Immutable.
 *
 * <ul>
 *   <li>{@link #AUTO}: the model chooses between text and calls (the default when tools are given);
 *   <li>{@link #NONE}: no calls; tools are not even shown to the model;
 *   <li>{@link #REQUIRED}: at least one call to any of the tools, enforced by a grammar on local backends;
 *   <li>{@link #named(String)}: a call to that tool, enforced likewise.
 * </ul>
 */
public final class ToolChoice {
    /** The kind of choice. */
    public enum Mode {
        /** The model decides. */
        AUTO,
        /** No tool call. */
        NONE,
        /** At least one call, to any of the tools. */
        REQUIRED,
        /** A call to one named tool. */
        NAMED
    }

    /** The model decides whether to call a tool. */
    public static final ToolChoice AUTO = new ToolChoice(Mode.AUTO, null);
    /** The model must not call a tool. */
    public static final ToolChoice NONE = new ToolChoice(Mode.NONE, null);
    /** The model must call at least one tool. */
    public static final ToolChoice REQUIRED = new ToolChoice(Mode.REQUIRED, null);

    private final Mode mode;
    private final String tool;

    private ToolChoice(Mode mode, String tool) {
        this.mode = mode;
        this.tool = tool;
    }

    /** A call to the tool with this name. */
    public static ToolChoice named(String tool) {
        return new ToolChoice(Mode.NAMED, Objects.requireNonNull(tool, "tool"));
    }

    /** Which kind of choice this is. */
    public Mode mode() {
        return mode;
    }

    /** The tool's name, for {@link Mode#NAMED}. */
    public Optional<String> tool() {
        return Optional.ofNullable(tool);
    }

    /** Whether a call must be made. */
    public boolean forcesCall() {
        return mode == Mode.REQUIRED || mode == Mode.NAMED;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ToolChoice c && mode == c.mode && Objects.equals(tool, c.tool);
    }

    @Override
    public int hashCode() {
        return Objects.hash(mode, tool);
    }

    @Override
    public String toString() {
        return mode == Mode.NAMED ? "named(" + tool + ")" : mode.name().toLowerCase(java.util.Locale.ROOT);
    }
}
