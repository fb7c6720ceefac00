package dev.locallm.spi;

import dev.locallm.chat.FinishReason;
import dev.locallm.chat.Usage;
import java.util.Objects;
import java.util.Optional;

/** What a {@link Generation} produced next: a piece of text, or its end. Immutable. */
public sealed interface GenerationEvent {

    /**
     * Generated text.
     *
     * @param text   the text; may be empty (a token without visible text, such as an end-of-turn token)
     * @param tokens how many tokens produced it (usually 1)
     */
    record Text(String text, int tokens) implements GenerationEvent {
        public Text {
            Objects.requireNonNull(text, "text");
        }
    }

    /** The end of the generation. */
    final class Finished implements GenerationEvent {
        private final FinishReason reason;
        private final Usage usage;

        private Finished(FinishReason reason, Usage usage) {
            this.reason = Objects.requireNonNull(reason, "reason");
            this.usage = usage;
        }

        /** The end, with token counts left to core (prompt tokens from the generation, completion counted). */
        public static Finished of(FinishReason reason) {
            return new Finished(reason, null);
        }

        /** The end, with token counts the backend knows better than core (a remote server's usage). */
        public static Finished of(FinishReason reason, Usage usage) {
            return new Finished(reason, Objects.requireNonNull(usage, "usage"));
        }

        public FinishReason reason() {
            return reason;
        }

        public Optional<Usage> usage() {
            return Optional.ofNullable(usage);
        }

        @Override
        public String toString() {
            return "Finished[" + reason + (usage == null ? "" : ", " + usage) + "]";
        }
    }
}
