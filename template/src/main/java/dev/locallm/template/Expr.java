package dev.locallm.template;

import java.util.List;

/** Expressions of the template language; immutable AST nodes. */
sealed interface Expr {

    int line();

    record Literal(Object value, int line) implements Expr { }

    record Name(String name, int line) implements Expr { }

    record ListLiteral(List<Expr> items, int line) implements Expr { }

    record TupleLiteral(List<Expr> items, int line) implements Expr { }

    record DictLiteral(List<Expr> keys, List<Expr> values, int line) implements Expr { }

    record Attribute(Expr target, String name, int line) implements Expr { }

    record Subscript(Expr target, Expr index, int line) implements Expr { }

    /** {@code target[start:stop:step]}; absent parts are {@code null}. */
    record Slice(Expr target, Expr start, Expr stop, Expr step, int line) implements Expr { }

    record Call(Expr callee, List<Expr> args, List<String> kwNames, List<Expr> kwValues, int line) implements Expr { }

    record Filter(Expr value, String name, List<Expr> args, List<String> kwNames, List<Expr> kwValues, int line)
            implements Expr { }

    record Test(Expr value, String name, List<Expr> args, boolean negated, int line) implements Expr { }

    record Unary(String op, Expr operand, int line) implements Expr { }

    record Binary(String op, Expr left, Expr right, int line) implements Expr { }

    record Conditional(Expr condition, Expr whenTrue, Expr whenFalse, int line) implements Expr { }
}
