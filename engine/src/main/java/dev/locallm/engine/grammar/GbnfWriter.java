package dev.locallm.engine.grammar;

import java.util.HashMap;
import java.util.Map;

/** Renders a {@link Grammar} in llama.cpp's GBNF: {@code name ::= alt | alt}, quoted literals, {@code [...]} classes. */
final class GbnfWriter {
    private GbnfWriter() {
    }

    static String write(Grammar g) {
        String[] names = names(g);
        StringBuilder out = new StringBuilder();
        for (int r = 0; r < g.ruleCount(); r++) {
            out.append(names[r]).append(" ::=");
            Grammar.Element[][] alternatives = g.alternatives(r);
            boolean first = true;
            // an empty alternative goes first ("x ::= | ..."): llama.cpp's parser rejects one at the end of a line
            for (int pass = 0; pass < 2; pass++) {
                for (Grammar.Element[] alternative : alternatives) {
                    if ((alternative.length == 0) == (pass == 0)) {
                        out.append(first ? " " : " | ");
                        writeSequence(alternative, names, out);
                        first = false;
                    }
                }
            }
            out.append('\n');
        }
        return out.toString();
    }

    private static String[] names(Grammar g) {
        String[] names = new String[g.ruleCount()];
        Map<String, Integer> used = new HashMap<>();
        for (int r = 0; r < names.length; r++) {
            String base = r == g.root() ? "root" : sanitize(g.name(r));
            if (base.equals("root") && r != g.root()) {
                base = "root-rule";
            }
            int n = used.merge(base, 1, Integer::sum);
            names[r] = n == 1 && (r == g.root() || !base.equals("root")) ? base : base + "-" + n;
        }
        return names;
    }

    private static String sanitize(String hint) {
        String s = hint.replaceAll("[^A-Za-z0-9-]+", "-").replaceAll("-+", "-").replaceAll("^-|-$", "");
        return s.isEmpty() ? "r" : s;
    }

    private static void writeSequence(Grammar.Element[] elements, String[] names, StringBuilder out) {
        boolean first = true;
        StringBuilder literal = new StringBuilder();
        for (Grammar.Element e : elements) {
            if (e.isChars() && e.chars.isSingle()) {
                literal.appendCodePoint(e.chars.ranges()[0]);
                continue;
            }
            first = flushLiteral(literal, out, first);
            out.append(first ? "" : " ").append(e.isChars() ? charClass(e.chars) : names[e.rule]);
            first = false;
        }
        flushLiteral(literal, out, first);
    }

    private static boolean flushLiteral(StringBuilder literal, StringBuilder out, boolean first) {
        if (literal.isEmpty()) {
            return first;
        }
        out.append(first ? "" : " ").append('"');
        literal.codePoints().forEach(cp -> escape(cp, out, "\"\\"));
        out.append('"');
        literal.setLength(0);
        return false;
    }

    static String charClass(CharClass c) {
        StringBuilder out = new StringBuilder("[");
        if (c.negated()) {
            out.append('^');
        }
        int[] ranges = c.ranges();
        for (int i = 0; i < ranges.length; i += 2) {
            classMember(ranges[i], out);
            if (ranges[i + 1] != ranges[i]) {
                out.append('-');
                classMember(ranges[i + 1], out);
            }
        }
        return out.append(']').toString();
    }

    /** A character inside {@code [...]}: the class syntax characters as hex escapes, which GBNF always accepts. */
    private static void classMember(int cp, StringBuilder out) {
        if (cp == ']' || cp == '[' || cp == '-' || cp == '^' || cp == '\\') {
            out.append(String.format("\\x%02X", cp));
        } else {
            escape(cp, out, "");
        }
    }

    private static void escape(int cp, StringBuilder out, String special) {
        switch (cp) {
            case '\n' -> out.append("\\n");
            case '\r' -> out.append("\\r");
            case '\t' -> out.append("\\t");
            default -> {
                if (cp < 0x20 || cp == 0x7f) {
                    out.append(String.format("\\x%02X", cp));
                } else if (cp > 0xFFFF) {
                    out.append(String.format("\\U%08X", cp));
                } else if (cp > 0x7e) {
                    out.append(String.format("\\u%04X", cp));
                } else {
                    if (special.indexOf(cp) >= 0) {
                        out.append('\\');
                    }
                    out.appendCodePoint(cp);
                }
            }
        }
    }
}
