package dev.locallm.engine.grammar;

import static dev.locallm.engine.grammar.GrammarExpr.literal;
import static dev.locallm.engine.grammar.GrammarExpr.seq;

import java.util.ArrayList;
import java.util.List;

/** Grammar expressions for the decimal integers in a range, without leading zeros. Stateless. */
final class IntegerRange {
    private IntegerRange() {
    }

    /**
     * Integers in {@code [lo, hi]}; {@code null} bounds are open (limited to {@code maxDigits} digits).
     */
    static GrammarExpr expr(Long lo, Long hi, int maxDigits) {
        long limit = (long) Math.pow(10, maxDigits) - 1;
        long low = lo == null ? -limit : lo;
        long high = hi == null ? limit : hi;
        List<GrammarExpr> options = new ArrayList<>();
        if (low < 0) {
            long negHigh = Math.min(high, -1);
            if (negHigh >= low) {
                options.add(seq(literal("-"), nonNegative(-negHigh, -low)));
            }
        }
        if (high >= 0) {
            options.add(nonNegative(Math.max(low, 0), high));
        }
        return options.size() == 1 ? options.get(0) : new GrammarExpr.Alt(options);
    }

    /** Integers in {@code [a, b]}, {@code 0 <= a <= b}. */
    private static GrammarExpr nonNegative(long a, long b) {
        List<GrammarExpr> options = new ArrayList<>();
        String as = Long.toString(a);
        String bs = Long.toString(b);
        for (int len = as.length(); len <= bs.length(); len++) {
            String lo = len == as.length() ? as : len == 1 ? "0" : "1" + "0".repeat(len - 1);
            String hi = len == bs.length() ? bs : "9".repeat(len);
            options.add(sameLength(lo, hi));
        }
        return options.size() == 1 ? options.get(0) : new GrammarExpr.Alt(options);
    }

    /**
     * Digit strings of one length between {@code lo} and {@code hi}, inclusive. Every digit string of the length is
     * one repetition, so each level splits off at most one bounded side and the expression grows linearly with
     * the length.
     */
    private static GrammarExpr sameLength(String lo, String hi) {
        if (lo.equals(hi)) {
            return literal(lo);
        }
        if (lo.matches("0+") && hi.matches("9+")) {
            return new GrammarExpr.Repeat(new GrammarExpr.Chars(CharClass.range('0', '9')), lo.length(), lo.length());
        }
        char l = lo.charAt(0);
        char h = hi.charAt(0);
        int rest = lo.length() - 1;
        if (rest == 0) {
            return new GrammarExpr.Chars(CharClass.range(l, h));
        }
        if (l == h) {
            return seq(literal(String.valueOf(l)), sameLength(lo.substring(1), hi.substring(1)));
        }
        List<GrammarExpr> options = new ArrayList<>();
        options.add(seq(literal(String.valueOf(l)), sameLength(lo.substring(1), "9".repeat(rest))));
        if (h - l > 1) {
            options.add(seq(new GrammarExpr.Chars(CharClass.range(l + 1, h - 1)),
                    new GrammarExpr.Repeat(new GrammarExpr.Chars(CharClass.range('0', '9')), rest, rest)));
        }
        options.add(seq(literal(String.valueOf(h)), sameLength("0".repeat(rest), hi.substring(1))));
        return new GrammarExpr.Alt(options);
    }
}
