package dev.locallm.spi;

import dev.locallm.chat.FinishReason;
import dev.locallm.chat.Timings;
import dev.locallm.chat.Usage;
import dev.locallm.tool.ToolCallDelta;
import java.util.Objects;
import java.util.Optional;

/**
 * What a {@link Generation} produced next: a piece of reply text, a piece of a tool call, or the end. Immutable.
 */
public sealed interface GenerationEvent {

    /**
     * Generated reply text (never tool-call markup: calls are {@link CallDelta}s).
     *
     * @param text   the text; may be empty (a token without visible text, such as an end-of-turn token)
     * @param tokens how many tokens produced it (usually 1; 0 for text the engine added, such as JSON closed
     *               after truncation)
     */
    record Text(String text, int tokens) implements GenerationEvent {
        /** Checks the text. */
        public Text {
            Objects.requireNonNull(text, "text");
        }
    }

    /**
     * A piece of a tool call: on the first piece of a call (a new {@link ToolCallDelta#index()}) its id, as the
     * model or server gave it, and its name; then pieces of its arguments text.
     *
     * @param delta  the piece
     * @param tokens how many tokens produced it: what core counts when the engine reports no usage
     */
    record CallDelta(ToolCallDelta delta, int tokens) implements GenerationEvent {
        /** Checks the delta. */
        public CallDelta {
            Objects.requireNonNull(delta, "delta");
        }
    }

    /** The end of the generation. */
    final class Finished implements GenerationEvent {
        private final FinishReason reason;
        private final Usage usage;
        private final Timings reported;

        private Finished(FinishReason reason, Usage usage, Timings reported) {
            this.reason = Objects.requireNonNull(reason, "reason");
            this.usage = usage;
            this.reported = reported;
        }

        /**
         * The end, with token counts left to core (prompt tokens from the generation, completion tokens summed
         * from the events).
         */
        public static Finished of(FinishReason reason) {
            return new Finished(reason, null, null);
        }

        /** The end, with token counts the backend knows better than core (a remote server's usage). */
        public static Finished of(FinishReason reason, Usage usage) {
            return new Finished(reason, Objects.requireNonNull(usage, "usage"), null);
        }

        /**
         * This end with the speed the backend measured itself (a remote server's own timings; only the
         * {@code reported} fields of {@code timings} are read).
         */
        public Finished withReportedSpeed(Timings timings) {
            return new Finished(reason, usage, Objects.requireNonNull(timings, "timings"));
        }

        /**
         * Why generation ended. {@link FinishReason#TOOL_CALLS} when the turn ended with calls; core also reads a
         * {@link FinishReason#STOP} after complete calls as tool calls.
         */
        public FinishReason reason() {
            return reason;
        }

        /** The backend's token counts, when it reported them. */
        public Optional<Usage> usage() {
            return Optional.ofNullable(usage);
        }

        /** The speed the backend measured itself, when it reported it. */
        public Optional<Timings> reportedSpeed() {
            return Optional.ofNullable(reported);
        }

        @Override
        public String toString() {
            return "Finished[" + reason + (usage == null ? "" : ", " + usage) + "]";
        }
    }
}
