package dev.locallm.engine.grammar;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Lowers {@link GrammarExpr} trees to the flat rules of a {@link Grammar}: alternatives of sequences of character
 * classes and rule references, with helper rules for nested choices and repetitions (shared when equal).
 * Not thread-safe; one per compilation.
 */
final class GrammarBuilder {
    private final List<String> names = new ArrayList<>();
    private final List<Grammar.Element[][]> bodies = new ArrayList<>();
    /** Rules by what they derive: a shared body, or a star or counted repetition of an item (keys apart). */
    private final Map<Object, Integer> helpers = new HashMap<>();
    private final int maxRules;

    /** Thrown when a grammar would need more rules than the builder may declare. */
    static final class TooLargeException extends RuntimeException {
        TooLargeException() {
            super(null, null, false, false);
        }
    }

    /** A builder of grammars of at most {@code maxRules} rules. */
    GrammarBuilder(int maxRules) {
        this.maxRules = maxRules;
    }

    /** Reserves a named rule, to be {@link #define defined} later; references to it may be built before. */
    int declare(String nameHint) {
        if (names.size() >= maxRules) {
            throw new TooLargeException();
        }
        names.add(nameHint);
        bodies.add(null);
        return names.size() - 1;
    }

    void define(int rule, GrammarExpr body) {
        bodies.set(rule, alternatives(body));
    }

    /** Rules declared so far, helper rules included. */
    int ruleCount() {
        return names.size();
    }

    /**
     * Gives up the rules from {@code mark} on that are still undefined (the compiler left what it was building
     * out): they derive the empty string, and nothing that stays in the grammar refers to them.
     */
    void abandonFrom(int mark) {
        for (int i = mark; i < bodies.size(); i++) {
            if (bodies.get(i) == null) {
                define(i, GrammarExpr.EMPTY);
            }
        }
    }

    boolean isDefined(int rule) {
        return bodies.get(rule) != null;
    }

    /** A rule for {@code body}, shared with any equal body defined through this method. */
    int shared(String nameHint, GrammarExpr body) {
        Integer existing = helpers.get(body);
        if (existing != null) {
            return existing;
        }
        int rule = declare(nameHint);
        helpers.put(body, rule);
        define(rule, body);
        return rule;
    }

    /**
     * The grammar whose start rule is {@code root}.
     *
     * @throws GrammarException when a rule is undefined, left-recursive, or derives no finite string
     */
    Grammar build(int root) {
        for (int i = 0; i < bodies.size(); i++) {
            if (bodies.get(i) == null) {
                throw new GrammarException("rule '" + names.get(i) + "' is referenced but never defined");
            }
        }
        return new Grammar(names.toArray(String[]::new), bodies.toArray(Grammar.Element[][][]::new), root);
    }

    private Grammar.Element[][] alternatives(GrammarExpr e) {
        List<Grammar.Element[]> out = new ArrayList<>();
        if (e instanceof GrammarExpr.Alt alt) {
            for (GrammarExpr option : alt.options()) {
                out.addAll(List.of(alternatives(option)));
            }
        } else {
            List<Grammar.Element> seq = new ArrayList<>();
            sequence(e, seq);
            out.add(seq.toArray(Grammar.Element[]::new));
        }
        return out.toArray(Grammar.Element[][]::new);
    }

    private void sequence(GrammarExpr e, List<Grammar.Element> out) {
        if (e instanceof GrammarExpr.Chars c) {
            out.add(Grammar.Element.chars(c.chars()));
        } else if (e instanceof GrammarExpr.Ref r) {
            out.add(Grammar.Element.ref(r.rule()));
        } else if (e instanceof GrammarExpr.Seq s) {
            for (GrammarExpr item : s.items()) {
                sequence(item, out);
            }
        } else if (e instanceof GrammarExpr.Alt alt) {
            if (alt.options().size() == 1) {
                sequence(alt.options().get(0), out);
            } else {
                out.add(Grammar.Element.ref(shared("alt", e)));
            }
        } else {
            repeat((GrammarExpr.Repeat) e, out);
        }
    }

    private void repeat(GrammarExpr.Repeat r, List<Grammar.Element> out) {
        GrammarExpr item = r.item();
        if (!isSingleElement(item) && (r.min() > 1 || r.max() != 1)) {
            item = new GrammarExpr.Ref(shared("item", item));
        }
        for (int i = 0; i < r.min(); i++) {
            sequence(item, out);
        }
        if (r.max() == -1) {
            out.add(Grammar.Element.ref(star(item)));
        } else if (r.max() > r.min()) {
            out.add(Grammar.Element.ref(upTo(item, r.max() - r.min())));
        }
    }

    private static boolean isSingleElement(GrammarExpr e) {
        return e instanceof GrammarExpr.Chars || e instanceof GrammarExpr.Ref;
    }

    /** {@code S ::= item S | ε}. */
    private int star(GrammarExpr item) {
        Object key = List.of("star", item);
        Integer existing = helpers.get(key);
        if (existing != null) {
            return existing;
        }
        int rule = declare("star");
        helpers.put(key, rule);
        define(rule, GrammarExpr.alt(GrammarExpr.seq(item, new GrammarExpr.Ref(rule)), GrammarExpr.EMPTY));
        return rule;
    }

    /** {@code O_n ::= item O_(n-1) | ε}, {@code O_1 ::= item | ε}; built from {@code O_1} up, without recursion. */
    private int upTo(GrammarExpr item, int count) {
        Integer existing = helpers.get(List.of("up to", item, count));
        if (existing != null) {
            return existing;
        }
        int below = -1;
        for (int n = 1; n <= count; n++) {
            Object key = List.of("up to", item, n);
            Integer rule = helpers.get(key);
            if (rule == null) {
                GrammarExpr body = n == 1 ? item : GrammarExpr.seq(item, new GrammarExpr.Ref(below));
                rule = declare("opt");
                helpers.put(key, rule);
                define(rule, GrammarExpr.alt(body, GrammarExpr.EMPTY));
            }
            below = rule;
        }
        return below;
    }
}
