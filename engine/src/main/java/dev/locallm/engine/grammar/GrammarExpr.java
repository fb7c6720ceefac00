package dev.locallm.engine.grammar;

import java.util.List;

/**
 * The grammar expressions compilers build; {@link GrammarBuilder} lowers them to rules. Immutable.
 */
sealed interface GrammarExpr {

    /** Matches nothing: the empty string. */
    GrammarExpr EMPTY = new Seq(List.of());

    record Chars(CharClass chars) implements GrammarExpr { }

    /** A reference to a named rule of the builder, for recursion and sharing. */
    record Ref(int rule) implements GrammarExpr { }

    record Seq(List<GrammarExpr> items) implements GrammarExpr { }

    record Alt(List<GrammarExpr> options) implements GrammarExpr { }

    /** {@code item} repeated {@code min} to {@code max} times; {@code max} is -1 for no limit. */
    record Repeat(GrammarExpr item, int min, int max) implements GrammarExpr { }

    static GrammarExpr literal(String text) {
        return new Seq(text.codePoints().mapToObj(cp -> (GrammarExpr) new Chars(CharClass.of(cp))).toList());
    }

    static GrammarExpr seq(GrammarExpr... items) {
        return new Seq(List.of(items));
    }

    static GrammarExpr alt(GrammarExpr... options) {
        return new Alt(List.of(options));
    }

    static GrammarExpr optional(GrammarExpr item) {
        return new Repeat(item, 0, 1);
    }

    static GrammarExpr star(GrammarExpr item) {
        return new Repeat(item, 0, -1);
    }
}
