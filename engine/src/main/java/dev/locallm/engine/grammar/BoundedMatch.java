package dev.locallm.engine.grammar;

import java.util.regex.Pattern;

/**
 * A regular-expression search with bounded work: a schema's pattern is untrusted, and Java's backtracking engine
 * can take exponential time on patterns such as {@code (.*a){20}}. The search reads the text through a view that
 * stops it after a fixed number of character reads.
 */
final class BoundedMatch {
    /** Character reads a search may make. */
    private static final int MAX_READS = 1_000_000;

    private BoundedMatch() {
    }

    /**
     * Whether {@code pattern} is found in {@code text}, as {@link java.util.regex.Matcher#find()} says; when the
     * search runs past its bound, {@code whenUnknown}.
     */
    static boolean find(Pattern pattern, String text, boolean whenUnknown) {
        try {
            return pattern.matcher(new Counted(text)).find();
        } catch (TooMuchWork e) {
            return whenUnknown;
        }
    }

    /** Thrown by {@link Counted} when a search has read too much. */
    private static final class TooMuchWork extends RuntimeException {
        private static final long serialVersionUID = 1L;

        TooMuchWork() {
            super(null, null, false, false);
        }
    }

    /** The text, counting reads. */
    private static final class Counted implements CharSequence {
        private final String text;
        private int reads;

        Counted(String text) {
            this.text = text;
        }

        @Override
        public char charAt(int index) {
            if (++reads > MAX_READS) {
                throw new TooMuchWork();
            }
            return text.charAt(index);
        }

        @Override
        public int length() {
            return text.length();
        }

        @Override
        public CharSequence subSequence(int start, int end) {
            return text.subSequence(start, end);
        }

        @Override
        public String toString() {
            return text;
        }
    }
}
