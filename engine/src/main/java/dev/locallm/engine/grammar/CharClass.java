package dev.locallm.engine.grammar;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A set of code points: sorted, merged, inclusive ranges, possibly negated. Immutable.
 */
final class CharClass {
    static final CharClass ANY = new CharClass(new int[0], true);

    private final int[] ranges;
    private final boolean negated;

    private CharClass(int[] ranges, boolean negated) {
        this.ranges = ranges;
        this.negated = negated;
    }

    static CharClass of(int codePoint) {
        return new CharClass(new int[] {codePoint, codePoint}, false);
    }

    static CharClass range(int from, int to) {
        return new CharClass(new int[] {from, to}, false);
    }

    /** A class from unsorted, possibly overlapping {@code [from, to]} pairs. */
    static CharClass ofRanges(List<int[]> pairs, boolean negated) {
        List<int[]> sorted = new ArrayList<>(pairs);
        sorted.sort((a, b) -> Integer.compare(a[0], b[0]));
        List<int[]> merged = new ArrayList<>();
        for (int[] r : sorted) {
            if (!merged.isEmpty() && r[0] <= merged.get(merged.size() - 1)[1] + 1) {
                int[] last = merged.get(merged.size() - 1);
                last[1] = Math.max(last[1], r[1]);
            } else {
                merged.add(new int[] {r[0], r[1]});
            }
        }
        int[] flat = new int[merged.size() * 2];
        for (int i = 0; i < merged.size(); i++) {
            flat[2 * i] = merged.get(i)[0];
            flat[2 * i + 1] = merged.get(i)[1];
        }
        return new CharClass(flat, negated);
    }

    /** This class without the code points in {@code [from, to]}. */
    CharClass without(int from, int to) {
        List<int[]> pairs = new ArrayList<>();
        if (negated) {
            for (int i = 0; i < ranges.length; i += 2) {
                pairs.add(new int[] {ranges[i], ranges[i + 1]});
            }
            pairs.add(new int[] {from, to});
            return ofRanges(pairs, true);
        }
        for (int i = 0; i < ranges.length; i += 2) {
            int lo = ranges[i];
            int hi = ranges[i + 1];
            if (hi < from || lo > to) {
                pairs.add(new int[] {lo, hi});
                continue;
            }
            if (lo < from) {
                pairs.add(new int[] {lo, from - 1});
            }
            if (hi > to) {
                pairs.add(new int[] {to + 1, hi});
            }
        }
        return ofRanges(pairs, false);
    }

    /** Whether this class matches no code point at all. */
    boolean isEmpty() {
        return !negated && ranges.length == 0;
    }

    boolean matches(int codePoint) {
        for (int i = 0; i < ranges.length; i += 2) {
            if (codePoint >= ranges[i] && codePoint <= ranges[i + 1]) {
                return !negated;
            }
        }
        return negated;
    }

    boolean negated() {
        return negated;
    }

    int[] ranges() {
        return ranges.clone();
    }

    /** Whether this class is exactly one code point (and not negated). */
    boolean isSingle() {
        return !negated && ranges.length == 2 && ranges[0] == ranges[1];
    }

    /** A code point this class matches, preferring printable ASCII; -1 when it matches nothing. */
    int sample() {
        if (!negated) {
            for (int i = 0; i < ranges.length; i += 2) {
                int lo = Math.max(ranges[i], 0x20);
                if (lo <= ranges[i + 1] && lo < 0x7f) {
                    return lo;
                }
            }
            return ranges.length == 0 ? -1 : ranges[0];
        }
        for (int cp = 'a'; cp <= 'z'; cp++) {
            if (matches(cp)) {
                return cp;
            }
        }
        for (int cp = 0x20; cp < 0x7f; cp++) {
            if (matches(cp)) {
                return cp;
            }
        }
        for (int cp = 0x80; cp < 0x10000; cp++) {
            if (matches(cp)) {
                return cp;
            }
        }
        return -1;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CharClass c && negated == c.negated && Arrays.equals(ranges, c.ranges);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(ranges) * 31 + (negated ? 1 : 0);
    }

    @Override
    public String toString() {
        return GbnfWriter.charClass(this);
    }
}
