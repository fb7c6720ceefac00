package dev.locallm.template;

import dev.locallm.error.ModelLoadException;
import dev.locallm.template.TemplateLexer.Kind;
import dev.locallm.template.TemplateLexer.Token;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Recursive-descent parser from tokens to {@link Node} trees, following Jinja's grammar and precedence. */
final class TemplateParser {
    private static final Set<String> COMPARE = Set.of("==", "!=", "<", "<=", ">", ">=");
    private static final Set<String> NOT_TEST_ARGUMENT = Set.of("else", "or", "and", "if", "in", "is", "not");

    private final List<Token> tokens;
    private int pos;

    private TemplateParser(List<Token> tokens) {
        this.tokens = tokens;
    }

    static List<Node> parse(String source) {
        TemplateParser parser = new TemplateParser(TemplateLexer.tokenize(source));
        List<Node> body = parser.parseBody(Set.of());
        if (parser.peek().kind() != Kind.EOF) {
            throw parser.error("unexpected '" + parser.peekBlockName() + "'");
        }
        return body;
    }

    // ---- statements

    /** Parses nodes until EOF or a block tag whose name is in {@code ends} (left unconsumed). */
    private List<Node> parseBody(Set<String> ends) {
        List<Node> nodes = new ArrayList<>();
        while (true) {
            Token t = peek();
            switch (t.kind()) {
                case EOF -> {
                    if (!ends.isEmpty()) {
                        throw error("unexpected end of template, expected one of " + ends);
                    }
                    return nodes;
                }
                case TEXT -> {
                    pos++;
                    nodes.add(new Node.Text(t.text()));
                }
                case VAR_START -> {
                    pos++;
                    Expr e = parseExpression();
                    expect(Kind.VAR_END, "}}");
                    nodes.add(new Node.Output(e));
                }
                case BLOCK_START -> {
                    String name = peekBlockName();
                    if (ends.contains(name)) {
                        return nodes;
                    }
                    pos++;
                    nodes.add(parseStatement());
                }
                default -> throw error("unexpected token '" + t.text() + "'");
            }
        }
    }

    private String peekBlockName() {
        Token next = tokens.get(Math.min(pos + 1, tokens.size() - 1));
        return next.text();
    }

    private Node parseStatement() {
        Token keyword = expect(Kind.NAME, "a statement name");
        return switch (keyword.text()) {
            case "if" -> parseIf();
            case "for" -> parseFor(keyword.line());
            case "set" -> parseSet(keyword.line());
            case "macro" -> parseMacro();
            case "filter" -> parseFilterBlock();
            case "generation" -> {
                endTag();
                List<Node> body = parseBody(Set.of("endgeneration"));
                closeBlock("endgeneration");
                yield new Node.FilterBlock(List.of(), body);
            }
            case "break" -> {
                endTag();
                yield new Node.Break();
            }
            case "continue" -> {
                endTag();
                yield new Node.Continue();
            }
            default -> throw error("unknown statement '" + keyword.text() + "'");
        };
    }

    private Node parseIf() {
        List<Expr> conditions = new ArrayList<>();
        List<List<Node>> branches = new ArrayList<>();
        conditions.add(parseExpression());
        endTag();
        branches.add(parseBody(Set.of("elif", "else", "endif")));
        List<Node> otherwise = List.of();
        while (true) {
            expect(Kind.BLOCK_START, "{%");
            String name = expect(Kind.NAME, "elif, else or endif").text();
            if (name.equals("elif")) {
                conditions.add(parseExpression());
                endTag();
                branches.add(parseBody(Set.of("elif", "else", "endif")));
            } else if (name.equals("else")) {
                endTag();
                otherwise = parseBody(Set.of("endif"));
                closeBlock("endif");
                break;
            } else {
                endTag();
                break;
            }
        }
        return new Node.If(conditions, branches, otherwise);
    }

    private Node parseFor(int line) {
        List<String> targets = parseTargets();
        if (!peek().isName("in")) {
            throw error("expected 'in' in for loop");
        }
        pos++;
        Expr iterable = parseConditionalFree();
        Expr filter = null;
        if (peek().isName("if")) {
            pos++;
            filter = parseConditionalFree();
        }
        if (peek().isName("recursive")) {
            throw error("recursive for loops are not supported");
        }
        endTag();
        List<Node> body = parseBody(Set.of("else", "endfor"));
        List<Node> otherwise = List.of();
        expect(Kind.BLOCK_START, "{%");
        if (expect(Kind.NAME, "else or endfor").text().equals("else")) {
            endTag();
            otherwise = parseBody(Set.of("endfor"));
            closeBlock("endfor");
        } else {
            endTag();
        }
        return new Node.For(targets, iterable, filter, body, otherwise, line);
    }

    private List<String> parseTargets() {
        List<String> targets = new ArrayList<>();
        boolean paren = peek().isOp("(");
        if (paren) {
            pos++;
        }
        targets.add(expect(Kind.NAME, "a variable name").text());
        while (peek().isOp(",")) {
            pos++;
            targets.add(expect(Kind.NAME, "a variable name").text());
        }
        if (paren) {
            expectOp(")");
        }
        return targets;
    }

    private Node parseSet(int line) {
        String first = expect(Kind.NAME, "a variable name").text();
        if (peek().isOp(".")) {
            pos++;
            String attribute = expect(Kind.NAME, "an attribute name").text();
            expectOp("=");
            Expr value = parseExpression();
            endTag();
            return new Node.Set(List.of(first), attribute, value, line);
        }
        List<String> targets = new ArrayList<>(List.of(first));
        while (peek().isOp(",")) {
            pos++;
            targets.add(expect(Kind.NAME, "a variable name").text());
        }
        if (peek().isOp("=")) {
            pos++;
            Expr value = parseExpression();
            endTag();
            return new Node.Set(targets, null, value, line);
        }
        if (targets.size() != 1) {
            throw error("a block set assigns one variable");
        }
        List<Expr.Filter> filters = parseFilterChain();
        endTag();
        List<Node> body = parseBody(Set.of("endset"));
        closeBlock("endset");
        return new Node.SetBlock(first, body, filters);
    }

    private Node parseMacro() {
        String name = expect(Kind.NAME, "a macro name").text();
        expectOp("(");
        List<String> params = new ArrayList<>();
        List<Expr> defaults = new ArrayList<>();
        while (!peek().isOp(")")) {
            params.add(expect(Kind.NAME, "a parameter name").text());
            if (peek().isOp("=")) {
                pos++;
                defaults.add(parseExpression());
            } else {
                defaults.add(null);
            }
            if (!peek().isOp(",")) {
                break;
            }
            pos++;
        }
        expectOp(")");
        endTag();
        List<Node> body = parseBody(Set.of("endmacro"));
        closeBlock("endmacro");
        return new Node.Macro(name, params, defaults, body);
    }

    private Node parseFilterBlock() {
        pos--;
        List<Expr.Filter> filters = parseFilterChain();
        endTag();
        List<Node> body = parseBody(Set.of("endfilter"));
        closeBlock("endfilter");
        return new Node.FilterBlock(filters, body);
    }

    /** Parses {@code | name(args) | name ...} (the first bar optional after {@code filter}). */
    private List<Expr.Filter> parseFilterChain() {
        List<Expr.Filter> filters = new ArrayList<>();
        while (peek().isOp("|") || peek().isName("filter")) {
            pos++;
            filters.add(parseFilter(null));
        }
        return filters;
    }

    private void closeBlock(String name) {
        expect(Kind.BLOCK_START, "{%");
        Token t = expect(Kind.NAME, name);
        if (!t.text().equals(name)) {
            throw error("expected '" + name + "', found '" + t.text() + "'");
        }
        endTag();
    }

    private void endTag() {
        expect(Kind.BLOCK_END, "%}");
    }

    // ---- expressions

    Expr parseExpression() {
        Expr e = parseConditionalFree();
        while (peek().isName("if")) {
            int line = next().line();
            Expr condition = parseOr();
            Expr otherwise = null;
            if (peek().isName("else")) {
                pos++;
                otherwise = parseExpression();
            }
            e = new Expr.Conditional(condition, e, otherwise, line);
        }
        return e;
    }

    /** An expression without a trailing {@code if}, as in a for loop's iterable and filter. */
    private Expr parseConditionalFree() {
        return parseOr();
    }

    private Expr parseOr() {
        Expr left = parseAnd();
        while (peek().isName("or")) {
            int line = next().line();
            left = new Expr.Binary("or", left, parseAnd(), line);
        }
        return left;
    }

    private Expr parseAnd() {
        Expr left = parseNot();
        while (peek().isName("and")) {
            int line = next().line();
            left = new Expr.Binary("and", left, parseNot(), line);
        }
        return left;
    }

    private Expr parseNot() {
        if (peek().isName("not")) {
            int line = next().line();
            return new Expr.Unary("not", parseNot(), line);
        }
        return parseCompare();
    }

    private Expr parseCompare() {
        Expr left = parseMath1();
        while (true) {
            Token t = peek();
            if (t.kind() == Kind.OP && COMPARE.contains(t.text())) {
                pos++;
                left = new Expr.Binary(t.text(), left, parseMath1(), t.line());
            } else if (t.isName("in")) {
                pos++;
                left = new Expr.Binary("in", left, parseMath1(), t.line());
            } else if (t.isName("not") && tokens.get(pos + 1).isName("in")) {
                pos += 2;
                left = new Expr.Binary("not in", left, parseMath1(), t.line());
            } else {
                return left;
            }
        }
    }

    private Expr parseMath1() {
        Expr left = parseConcat();
        while (peek().isOp("+") || peek().isOp("-")) {
            Token op = next();
            left = new Expr.Binary(op.text(), left, parseConcat(), op.line());
        }
        return left;
    }

    private Expr parseConcat() {
        Expr left = parseMath2();
        while (peek().isOp("~")) {
            Token op = next();
            left = new Expr.Binary("~", left, parseMath2(), op.line());
        }
        return left;
    }

    private Expr parseMath2() {
        Expr left = parsePow();
        while (peek().isOp("*") || peek().isOp("/") || peek().isOp("//") || peek().isOp("%")) {
            Token op = next();
            left = new Expr.Binary(op.text(), left, parsePow(), op.line());
        }
        return left;
    }

    private Expr parsePow() {
        Expr left = parseUnary();
        while (peek().isOp("**")) {
            Token op = next();
            left = new Expr.Binary("**", left, parseUnary(), op.line());
        }
        return left;
    }

    private Expr parseUnary() {
        if (peek().isOp("-") || peek().isOp("+")) {
            Token op = next();
            return new Expr.Unary(op.text(), parseUnary(), op.line());
        }
        return parseFiltersAndTests(parsePostfix(parsePrimary()));
    }

    private Expr parseFiltersAndTests(Expr e) {
        while (true) {
            if (peek().isOp("|")) {
                pos++;
                e = parseFilter(e);
            } else if (peek().isName("is")) {
                int line = next().line();
                boolean negated = false;
                if (peek().isName("not")) {
                    pos++;
                    negated = true;
                }
                String name = expect(Kind.NAME, "a test name").text();
                List<Expr> args = new ArrayList<>();
                if (peek().isOp("(")) {
                    pos++;
                    while (!peek().isOp(")")) {
                        args.add(parseExpression());
                        if (!peek().isOp(",")) {
                            break;
                        }
                        pos++;
                    }
                    expectOp(")");
                } else if (startsTestArgument(peek())) {
                    args.add(parsePostfix(parsePrimary()));
                }
                e = new Expr.Test(e, name, args, negated, line);
            } else {
                return e;
            }
        }
    }

    private static boolean startsTestArgument(Token t) {
        return switch (t.kind()) {
            case STRING, INT, FLOAT -> true;
            case NAME -> !NOT_TEST_ARGUMENT.contains(t.text());
            case OP -> t.text().equals("[") || t.text().equals("{");
            default -> false;
        };
    }

    private Expr.Filter parseFilter(Expr value) {
        Token name = expect(Kind.NAME, "a filter name");
        List<Expr> args = new ArrayList<>();
        List<String> kwNames = new ArrayList<>();
        List<Expr> kwValues = new ArrayList<>();
        if (peek().isOp("(")) {
            pos++;
            parseArguments(args, kwNames, kwValues);
        }
        return new Expr.Filter(value, name.text(), args, kwNames, kwValues, name.line());
    }

    /** Parses call arguments up to and including the closing parenthesis. */
    private void parseArguments(List<Expr> args, List<String> kwNames, List<Expr> kwValues) {
        while (!peek().isOp(")")) {
            if (peek().kind() == Kind.NAME && tokens.get(pos + 1).isOp("=")) {
                kwNames.add(next().text());
                pos++;
                kwValues.add(parseExpression());
            } else {
                if (!kwNames.isEmpty()) {
                    throw error("positional argument after keyword argument");
                }
                args.add(parseExpression());
            }
            if (!peek().isOp(",")) {
                break;
            }
            pos++;
        }
        expectOp(")");
    }

    private Expr parsePostfix(Expr e) {
        while (true) {
            Token t = peek();
            if (t.isOp(".")) {
                pos++;
                Token name = next();
                if (name.kind() != Kind.NAME && name.kind() != Kind.INT) {
                    throw error("expected an attribute name after '.'");
                }
                e = name.kind() == Kind.INT
                        ? new Expr.Subscript(e, new Expr.Literal(Long.parseLong(name.text()), name.line()), name.line())
                        : new Expr.Attribute(e, name.text(), name.line());
            } else if (t.isOp("[")) {
                pos++;
                e = parseSubscript(e, t.line());
            } else if (t.isOp("(")) {
                pos++;
                List<Expr> args = new ArrayList<>();
                List<String> kwNames = new ArrayList<>();
                List<Expr> kwValues = new ArrayList<>();
                parseArguments(args, kwNames, kwValues);
                e = new Expr.Call(e, args, kwNames, kwValues, t.line());
            } else {
                return e;
            }
        }
    }

    private Expr parseSubscript(Expr target, int line) {
        Expr[] parts = new Expr[3];
        int part = 0;
        boolean slice = false;
        while (!peek().isOp("]")) {
            if (peek().isOp(":")) {
                pos++;
                slice = true;
                part++;
                if (part > 2) {
                    throw error("too many ':' in slice");
                }
                continue;
            }
            parts[part] = parseExpression();
        }
        expectOp("]");
        if (!slice) {
            if (parts[0] == null) {
                throw error("empty subscript");
            }
            return new Expr.Subscript(target, parts[0], line);
        }
        return new Expr.Slice(target, parts[0], parts[1], parts[2], line);
    }

    private Expr parsePrimary() {
        Token t = next();
        switch (t.kind()) {
            case STRING -> {
                StringBuilder sb = new StringBuilder(t.text());
                while (peek().kind() == Kind.STRING) {
                    sb.append(next().text());
                }
                return new Expr.Literal(sb.toString(), t.line());
            }
            case INT -> {
                try {
                    return new Expr.Literal(Long.parseLong(t.text()), t.line());
                } catch (NumberFormatException e) {
                    throw error("integer literal out of range: " + t.text());
                }
            }
            case FLOAT -> {
                return new Expr.Literal(Double.parseDouble(t.text()), t.line());
            }
            case NAME -> {
                return switch (t.text()) {
                    case "true", "True" -> new Expr.Literal(Boolean.TRUE, t.line());
                    case "false", "False" -> new Expr.Literal(Boolean.FALSE, t.line());
                    case "none", "None" -> new Expr.Literal(null, t.line());
                    default -> new Expr.Name(t.text(), t.line());
                };
            }
            case OP -> {
                switch (t.text()) {
                    case "(" -> {
                        if (peek().isOp(")")) {
                            pos++;
                            return new Expr.TupleLiteral(List.of(), t.line());
                        }
                        Expr first = parseExpression();
                        if (peek().isOp(",")) {
                            List<Expr> items = new ArrayList<>(List.of(first));
                            while (peek().isOp(",")) {
                                pos++;
                                if (peek().isOp(")")) {
                                    break;
                                }
                                items.add(parseExpression());
                            }
                            expectOp(")");
                            return new Expr.TupleLiteral(items, t.line());
                        }
                        expectOp(")");
                        return first;
                    }
                    case "[" -> {
                        List<Expr> items = new ArrayList<>();
                        while (!peek().isOp("]")) {
                            items.add(parseExpression());
                            if (!peek().isOp(",")) {
                                break;
                            }
                            pos++;
                        }
                        expectOp("]");
                        return new Expr.ListLiteral(items, t.line());
                    }
                    case "{" -> {
                        List<Expr> keys = new ArrayList<>();
                        List<Expr> values = new ArrayList<>();
                        while (!peek().isOp("}")) {
                            keys.add(parseExpression());
                            expectOp(":");
                            values.add(parseExpression());
                            if (!peek().isOp(",")) {
                                break;
                            }
                            pos++;
                        }
                        expectOp("}");
                        return new Expr.DictLiteral(keys, values, t.line());
                    }
                    default -> throw error("unexpected '" + t.text() + "'");
                }
            }
            default -> throw error("unexpected " + describe(t));
        }
    }

    // ---- token helpers

    private Token peek() {
        return tokens.get(pos);
    }

    private Token next() {
        Token t = tokens.get(pos);
        if (t.kind() != Kind.EOF) {
            pos++;
        }
        return t;
    }

    private Token expect(Kind kind, String what) {
        Token t = peek();
        if (t.kind() != kind) {
            throw error("expected " + what + ", found " + describe(t));
        }
        pos++;
        return t;
    }

    private void expectOp(String op) {
        Token t = peek();
        if (!t.isOp(op)) {
            throw error("expected '" + op + "', found " + describe(t));
        }
        pos++;
    }

    private static String describe(Token t) {
        return switch (t.kind()) {
            case EOF -> "end of template";
            case VAR_END -> "'}}'";
            case BLOCK_END -> "'%}'";
            case TEXT -> "text";
            default -> "'" + t.text() + "'";
        };
    }

    private ModelLoadException error(String message) {
        return new ModelLoadException("chat template syntax error at line " + peek().line() + ": " + message);
    }
}
