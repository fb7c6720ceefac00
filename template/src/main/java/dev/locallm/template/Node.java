package dev.locallm.template;

import java.util.List;

/** Statements of the template language; immutable AST nodes. */
sealed interface Node {

    record Text(String text) implements Node { }

    record Output(Expr expr) implements Node { }

    record If(List<Expr> conditions, List<List<Node>> branches, List<Node> otherwise) implements Node { }

    /** {@code for targets in iterable [if filter]}; {@code filter} may be {@code null}. */
    record For(List<String> targets, Expr iterable, Expr filter, List<Node> body, List<Node> otherwise, int line)
            implements Node { }

    /** {@code set a = x}, {@code set a, b = x} or {@code set ns.attr = x} (then {@code attribute} is set). */
    record Set(List<String> targets, String attribute, Expr value, int line) implements Node { }

    record SetBlock(String target, List<Node> body, List<Expr.Filter> filters) implements Node { }

    record Macro(String name, List<String> params, List<Expr> defaults, List<Node> body) implements Node { }

    record FilterBlock(List<Expr.Filter> filters, List<Node> body) implements Node { }

    record Break() implements Node { }

    record Continue() implements Node { }
}
