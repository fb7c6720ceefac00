package dev.locallm.engine;

import java.util.List;

/**
 * Cuts streamed text at the first stop sequence, holding back any tail that could still become one, so that
 * no part of a stop sequence is ever emitted. Not thread-safe: one per generation.
 */
final class StopSequenceMatcher {
    private final List<String> stops;
    private final StringBuilder pending = new StringBuilder();
    private boolean stopped;

    StopSequenceMatcher(List<String> stops) {
        this.stops = List.copyOf(stops);
    }

    /** Whether a stop sequence has been seen; after that, nothing more is emitted. */
    boolean stopped() {
        return stopped;
    }

    /** Adds generated text; returns the part that is safe to emit now. */
    String feed(String text) {
        if (stopped) {
            return "";
        }
        if (stops.isEmpty()) {
            return text;
        }
        pending.append(text);
        int cut = firstStop();
        if (cut >= 0) {
            stopped = true;
            String emit = pending.substring(0, cut);
            pending.setLength(0);
            return emit;
        }
        int keep = longestSuffixThatStartsAStop();
        String emit = pending.substring(0, pending.length() - keep);
        pending.delete(0, pending.length() - keep);
        return emit;
    }

    /** The text held back; call at the end of a generation that was not stopped by a stop sequence. */
    String flush() {
        String rest = stopped ? "" : pending.toString();
        pending.setLength(0);
        return rest;
    }

    private int firstStop() {
        int best = -1;
        for (String stop : stops) {
            int at = pending.indexOf(stop);
            if (at >= 0 && (best < 0 || at < best)) {
                best = at;
            }
        }
        return best;
    }

    private int longestSuffixThatStartsAStop() {
        int longest = 0;
        int length = pending.length();
        for (String stop : stops) {
            for (int k = Math.min(stop.length() - 1, length); k > longest; k--) {
                if (regionMatches(length - k, stop, k)) {
                    longest = k;
                    break;
                }
            }
        }
        return longest;
    }

    private boolean regionMatches(int from, String stop, int count) {
        for (int i = 0; i < count; i++) {
            if (pending.charAt(from + i) != stop.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
