package dev.locallm.engine.grammar;

import java.util.ArrayList;
import java.util.List;

/**
 * Translates a regular expression (the ECMA-262 subset JSON Schema patterns use) into a grammar expression that
 * matches the same strings <em>as a whole</em>. JSON Schema's {@code pattern} searches anywhere in a string;
 * generating only full matches is stricter, so every generated string is valid. Supported: literals, {@code .},
 * classes with ranges and negation, the escapes {@code \d \w \s} (and negations), {@code \n \t \r \f \v}, four-digit unicode
 * and two-digit hex escapes, groups (capturing or not), alternation, the quantifiers {@code * + ? {n} {n,} {n,m}} (lazy forms
 * too), and {@code ^}/{@code $} at the ends. Back-references, look-around and inner anchors are refused. Where
 * ECMA-262 and Java's {@code java.util.regex} differ, this follows Java, as the validator does: {@code \s} is
 * {@code [ \t\n\x0B\f\r]}, and {@code .} matches no line terminator (LF, CR, U+0085, U+2028, U+2029).
 * Stateless; one instance per pattern.
 */
final class RegexGrammar {
    /** Bound on counted repetitions, to keep grammars small. */
    static final int MAX_REPEAT = 1000;

    private final String pattern;
    private int pos;

    private RegexGrammar(String pattern) {
        this.pattern = pattern;
    }

    /**
     * @throws IllegalArgumentException with a message naming what is not supported
     */
    static GrammarExpr compile(String pattern) {
        RegexGrammar r = new RegexGrammar(pattern);
        if (r.peek('^')) {
            r.pos++;
        }
        GrammarExpr e = r.alternation();
        if (r.pos < pattern.length()) {
            throw r.error("unexpected '" + pattern.charAt(r.pos) + "'");
        }
        return e;
    }

    private GrammarExpr alternation() {
        List<GrammarExpr> options = new ArrayList<>();
        options.add(sequence());
        while (peek('|')) {
            pos++;
            options.add(sequence());
        }
        return options.size() == 1 ? options.get(0) : new GrammarExpr.Alt(options);
    }

    private GrammarExpr sequence() {
        List<GrammarExpr> items = new ArrayList<>();
        while (pos < pattern.length() && !peek('|') && !peek(')')) {
            if (peek('$')) {
                pos++;
                if (pos < pattern.length() && !peek('|') && !peek(')')) {
                    throw error("'$' is only supported at the end");
                }
                continue;
            }
            if (peek('^')) {
                throw error("'^' is only supported at the start");
            }
            items.add(quantified(atom()));
        }
        return items.size() == 1 ? items.get(0) : new GrammarExpr.Seq(items);
    }

    private GrammarExpr quantified(GrammarExpr atom) {
        while (pos < pattern.length()) {
            char c = pattern.charAt(pos);
            int min;
            int max;
            if (c == '*') {
                min = 0;
                max = -1;
                pos++;
            } else if (c == '+') {
                min = 1;
                max = -1;
                pos++;
            } else if (c == '?') {
                min = 0;
                max = 1;
                pos++;
            } else if (c == '{' && isCountedQuantifier()) {
                pos++;
                min = number();
                max = min;
                if (peek(',')) {
                    pos++;
                    max = peek('}') ? -1 : number();
                }
                expect('}');
                if (max != -1 && max < min) {
                    throw error("quantifier {" + min + "," + max + "} has max < min");
                }
                if (min > MAX_REPEAT || max > MAX_REPEAT) {
                    throw error("repetition counts above " + MAX_REPEAT + " are not supported");
                }
            } else {
                return atom;
            }
            if (peek('?')) {
                pos++;
            }
            atom = new GrammarExpr.Repeat(atom, min, max);
        }
        return atom;
    }

    private boolean isCountedQuantifier() {
        int i = pos + 1;
        int start = i;
        while (i < pattern.length() && Character.isDigit(pattern.charAt(i))) {
            i++;
        }
        return i > start && i < pattern.length() && (pattern.charAt(i) == '}' || pattern.charAt(i) == ',');
    }

    private int number() {
        int start = pos;
        while (pos < pattern.length() && Character.isDigit(pattern.charAt(pos))) {
            pos++;
        }
        if (start == pos) {
            return MAX_REPEAT + 1;
        }
        String digits = pattern.substring(start, pos);
        return digits.length() > 6 ? MAX_REPEAT + 1 : Integer.parseInt(digits);
    }

    private GrammarExpr atom() {
        int cp = pattern.codePointAt(pos);
        switch (cp) {
            case '(' -> {
                pos++;
                if (peek('?')) {
                    if (pattern.startsWith("?:", pos)) {
                        pos += 2;
                    } else if (pattern.startsWith("?<", pos) && pos + 2 < pattern.length()
                            && pattern.charAt(pos + 2) != '=' && pattern.charAt(pos + 2) != '!') {
                        int close = pattern.indexOf('>', pos);
                        if (close < 0) {
                            throw error("unclosed group name");
                        }
                        pos = close + 1;
                    } else {
                        throw error("look-around groups are not supported");
                    }
                }
                GrammarExpr inner = alternation();
                expect(')');
                return inner;
            }
            case '[' -> {
                return new GrammarExpr.Chars(charClass());
            }
            case '.' -> {
                pos++;
                return new GrammarExpr.Chars(CharClass.ofRanges(List.of(new int[] {'\n', '\n'}, new int[] {'\r', '\r'},
                        new int[] {0x85, 0x85}, new int[] {0x2028, 0x2029}), true));
            }
            case '\\' -> {
                pos++;
                return new GrammarExpr.Chars(escape(false));
            }
            case '*', '+', '?', '{', ')' -> throw error("nothing to repeat before '" + (char) cp + "'");
            default -> {
                pos += Character.charCount(cp);
                return new GrammarExpr.Chars(CharClass.of(cp));
            }
        }
    }

    private CharClass charClass() {
        pos++;
        boolean negated = peek('^');
        if (negated) {
            pos++;
        }
        List<int[]> ranges = new ArrayList<>();
        List<CharClass> nested = new ArrayList<>();
        boolean first = true;
        while (true) {
            if (pos >= pattern.length()) {
                throw error("unclosed character class");
            }
            if (peek(']') && !first) {
                pos++;
                break;
            }
            first = false;
            int lo;
            if (peek('\\')) {
                pos++;
                CharClass e = escape(true);
                if (!e.isSingle()) {
                    nested.add(e);
                    continue;
                }
                lo = e.ranges()[0];
            } else {
                lo = pattern.codePointAt(pos);
                pos += Character.charCount(lo);
            }
            int hi = lo;
            if (peek('-') && pos + 1 < pattern.length() && pattern.charAt(pos + 1) != ']') {
                pos++;
                if (peek('\\')) {
                    pos++;
                    CharClass e = escape(true);
                    if (!e.isSingle()) {
                        throw error("a class escape cannot end a range");
                    }
                    hi = e.ranges()[0];
                } else {
                    hi = pattern.codePointAt(pos);
                    pos += Character.charCount(hi);
                }
                if (hi < lo) {
                    throw error("range out of order in character class");
                }
            }
            ranges.add(new int[] {lo, hi});
        }
        for (CharClass c : nested) {
            if (c.negated()) {
                throw error("negated class escapes (\\D, \\W, \\S) inside [...] are not supported");
            }
            int[] r = c.ranges();
            for (int i = 0; i < r.length; i += 2) {
                ranges.add(new int[] {r[i], r[i + 1]});
            }
        }
        return CharClass.ofRanges(ranges, negated);
    }

    private CharClass escape(boolean inClass) {
        if (pos >= pattern.length()) {
            throw error("pattern ends with a backslash");
        }
        char c = pattern.charAt(pos++);
        return switch (c) {
            case 'd' -> CharClass.range('0', '9');
            case 'D' -> CharClass.ofRanges(List.of(new int[] {'0', '9'}), true);
            case 'w' -> CharClass.ofRanges(word(), false);
            case 'W' -> CharClass.ofRanges(word(), true);
            case 's' -> CharClass.ofRanges(space(), false);
            case 'S' -> CharClass.ofRanges(space(), true);
            case 'n' -> CharClass.of('\n');
            case 't' -> CharClass.of('\t');
            case 'r' -> CharClass.of('\r');
            case 'f' -> CharClass.of('\f');
            case 'v' -> CharClass.of(0x0b);
            case '0' -> CharClass.of(0);
            case 'b' -> {
                if (inClass) {
                    yield CharClass.of('\b');
                }
                throw error("word boundaries (\\b) are not supported");
            }
            case 'u', 'x' -> {
                int len = c == 'u' ? 4 : 2;
                if (pos + len > pattern.length()) {
                    throw error("incomplete \\" + c + " escape");
                }
                try {
                    int cp = Integer.parseInt(pattern.substring(pos, pos + len), 16);
                    pos += len;
                    yield CharClass.of(cp);
                } catch (NumberFormatException e) {
                    throw error("bad \\" + c + " escape");
                }
            }
            default -> {
                if (Character.isDigit(c)) {
                    throw error("back-references are not supported");
                }
                if (Character.isLetter(c)) {
                    throw error("the escape \\" + c + " is not supported");
                }
                yield CharClass.of(c);
            }
        };
    }

    private static List<int[]> word() {
        return List.of(new int[] {'a', 'z'}, new int[] {'A', 'Z'}, new int[] {'0', '9'}, new int[] {'_', '_'});
    }

    private static List<int[]> space() {
        return List.of(new int[] {' ', ' '}, new int[] {'\t', '\r'});
    }

    private boolean peek(char c) {
        return pos < pattern.length() && pattern.charAt(pos) == c;
    }

    private void expect(char c) {
        if (!peek(c)) {
            throw error("expected '" + c + "'");
        }
        pos++;
    }

    private IllegalArgumentException error(String message) {
        return new IllegalArgumentException(message + " (at position " + pos + " of /" + pattern + "/)");
    }
}
