package dev.locallm.template;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Renders a parsed template once. Not thread-safe: one instance per render. Enforces the output size, step
 * and time limits, so that no template can run away with the caller's thread.
 */
final class TemplateRuntime {

    /** A value that can be called: a global function, a bound method or a macro. */
    interface Callable {
        Object call(TemplateRuntime runtime, List<Object> args, Map<String, Object> kwargs);
    }

    private static final class LoopControl extends RuntimeException {
        private static final long serialVersionUID = 1L;
        static final LoopControl BREAK = new LoopControl();
        static final LoopControl CONTINUE = new LoopControl();

        private LoopControl() {
            super(null, null, false, false);
        }
    }

    /** Variables of one scope; lookups fall back to the parent. */
    static final class Scope {
        final Map<String, Object> vars = new HashMap<>();
        final Scope parent;

        Scope(Scope parent) {
            this.parent = parent;
        }

        Object get(String name) {
            for (Scope s = this; s != null; s = s.parent) {
                if (s.vars.containsKey(name)) {
                    return s.vars.get(name);
                }
            }
            return Undefined.INSTANCE;
        }
    }

    private record MacroValue(Node.Macro macro, Scope closure) implements Callable {
        @Override
        public Object call(TemplateRuntime rt, List<Object> args, Map<String, Object> kwargs) {
            return rt.callMacro(this, args, kwargs);
        }
    }

    private final ChatTemplate.Limits limits;
    private final long deadline;
    private StringBuilder out = new StringBuilder();
    private long steps;
    private int depth;
    private int line;

    TemplateRuntime(ChatTemplate.Limits limits) {
        this.limits = limits;
        this.deadline = System.nanoTime() + limits.timeout().toNanos();
    }

    String render(List<Node> nodes, Map<String, Object> variables) {
        Scope root = new Scope(null);
        Builtins.installGlobals(root.vars);
        variables.forEach((k, v) -> root.vars.put(k, Values.normalize(v)));
        try {
            execute(nodes, root);
        } catch (LoopControl e) {
            throw new TemplateException("'break' or 'continue' outside a loop");
        }
        return out.toString();
    }

    int line() {
        return line;
    }

    ChatTemplate.Limits limits() {
        return limits;
    }

    void step() {
        if (++steps > limits.maxSteps()) {
            throw new TemplateException("rendering exceeded " + limits.maxSteps() + " steps");
        }
        if ((steps & 1023) == 0 && System.nanoTime() > deadline) {
            throw new TemplateException("rendering took longer than " + limits.timeout().toMillis() + " ms");
        }
    }

    /** {@code s} repeated {@code n} times, refused past the output limit before anything is allocated. */
    String repeat(String s, long n) {
        if (n <= 0 || s.isEmpty()) {
            return "";
        }
        if (n > limits.maxOutputChars() / s.length()) {
            throw new TemplateException("rendering produced more than " + limits.maxOutputChars() + " characters");
        }
        return s.repeat((int) n);
    }

    /** Checks that a string the template builds stays within the output limit. */
    <T extends CharSequence> T checkSize(T s) {
        if (s.length() > limits.maxOutputChars()) {
            throw new TemplateException("rendering produced more than " + limits.maxOutputChars() + " characters");
        }
        return s;
    }

    private void write(String s) {
        if (out.length() + s.length() > limits.maxOutputChars()) {
            throw new TemplateException("rendering produced more than " + limits.maxOutputChars() + " characters");
        }
        out.append(s);
    }

    // ---- statements

    private void execute(List<Node> nodes, Scope scope) {
        for (Node node : nodes) {
            step();
            if (node instanceof Node.Text t) {
                write(t.text());
            } else if (node instanceof Node.Output o) {
                write(Values.str(eval(o.expr(), scope)));
            } else if (node instanceof Node.If i) {
                executeIf(i, scope);
            } else if (node instanceof Node.For f) {
                executeFor(f, scope);
            } else if (node instanceof Node.Set s) {
                executeSet(s, scope);
            } else if (node instanceof Node.SetBlock s) {
                String text = capture(s.body(), scope);
                scope.vars.put(s.target(), applyFilters(text, s.filters(), scope));
            } else if (node instanceof Node.Macro m) {
                scope.vars.put(m.name(), new MacroValue(m, scope));
            } else if (node instanceof Node.FilterBlock f) {
                write(Values.str(applyFilters(capture(f.body(), scope), f.filters(), scope)));
            } else if (node instanceof Node.Break) {
                throw LoopControl.BREAK;
            } else {
                throw LoopControl.CONTINUE;
            }
        }
    }

    private String capture(List<Node> body, Scope scope) {
        StringBuilder saved = out;
        out = new StringBuilder();
        try {
            execute(body, scope);
            return out.toString();
        } finally {
            StringBuilder captured = out;
            out = saved;
            if (out.length() + captured.length() > limits.maxOutputChars()) {
                throw new TemplateException("rendering produced more than " + limits.maxOutputChars() + " characters");
            }
        }
    }

    private Object applyFilters(Object value, List<Expr.Filter> filters, Scope scope) {
        for (Expr.Filter f : filters) {
            value = Builtins.filter(this, f.name(), value, evalAll(f.args(), scope), evalKw(f.kwNames(), f.kwValues(), scope));
        }
        return value;
    }

    private void executeIf(Node.If node, Scope scope) {
        for (int i = 0; i < node.conditions().size(); i++) {
            if (Values.truthy(eval(node.conditions().get(i), scope))) {
                execute(node.branches().get(i), scope);
                return;
            }
        }
        execute(node.otherwise(), scope);
    }

    private void executeFor(Node.For node, Scope scope) {
        line = node.line();
        List<?> source = Values.iterate(eval(node.iterable(), scope));
        List<Object> items = new ArrayList<>();
        if (node.filter() == null) {
            items.addAll(source);
        } else {
            for (Object item : source) {
                Scope probe = new Scope(scope);
                bind(node.targets(), item, probe);
                if (Values.truthy(eval(node.filter(), probe))) {
                    items.add(item);
                }
            }
        }
        if (items.isEmpty()) {
            execute(node.otherwise(), scope);
            return;
        }
        for (int i = 0; i < items.size(); i++) {
            step();
            Scope body = new Scope(scope);
            bind(node.targets(), items.get(i), body);
            body.vars.put("loop", new LoopInfo(items, i));
            try {
                execute(node.body(), body);
            } catch (LoopControl c) {
                if (c == LoopControl.BREAK) {
                    break;
                }
            }
        }
    }

    private void bind(List<String> targets, Object value, Scope scope) {
        if (targets.size() == 1) {
            scope.vars.put(targets.get(0), value);
            return;
        }
        List<?> parts = Values.iterate(value);
        if (parts.size() != targets.size()) {
            throw new TemplateException("cannot unpack " + parts.size() + " values into " + targets.size() + " names");
        }
        for (int i = 0; i < targets.size(); i++) {
            scope.vars.put(targets.get(i), parts.get(i));
        }
    }

    private void executeSet(Node.Set node, Scope scope) {
        line = node.line();
        Object value = eval(node.value(), scope);
        if (node.attribute() != null) {
            Object target = scope.get(node.targets().get(0));
            if (!(target instanceof Namespace ns)) {
                throw new TemplateException("cannot assign attribute on a non-namespace object");
            }
            ns.attributes.put(node.attribute(), value);
            return;
        }
        bind(node.targets(), value, scope);
    }

    Object callMacro(MacroValue macro, List<Object> args, Map<String, Object> kwargs) {
        if (++depth > limits.maxDepth()) {
            throw new TemplateException("macro calls nested deeper than " + limits.maxDepth());
        }
        try {
            Node.Macro m = macro.macro();
            Scope scope = new Scope(macro.closure());
            for (int i = 0; i < m.params().size(); i++) {
                String p = m.params().get(i);
                Object v;
                if (i < args.size()) {
                    v = args.get(i);
                } else if (kwargs.containsKey(p)) {
                    v = kwargs.get(p);
                } else if (m.defaults().get(i) != null) {
                    v = eval(m.defaults().get(i), scope);
                } else {
                    v = Undefined.INSTANCE;
                }
                scope.vars.put(p, v);
            }
            return capture(m.body(), scope);
        } finally {
            depth--;
        }
    }

    // ---- expressions

    Object eval(Expr expr, Scope scope) {
        step();
        if (++depth > limits.maxDepth()) {
            throw new TemplateException("expression nested deeper than " + limits.maxDepth());
        }
        try {
            return evalUnchecked(expr, scope);
        } finally {
            depth--;
        }
    }

    private Object evalUnchecked(Expr expr, Scope scope) {
        if (expr instanceof Expr.Literal l) {
            return l.value();
        } else if (expr instanceof Expr.Name n) {
            return scope.get(n.name());
        } else if (expr instanceof Expr.Attribute a) {
            return Builtins.attribute(eval(a.target(), scope), a.name());
        } else if (expr instanceof Expr.Subscript s) {
            return Builtins.subscript(eval(s.target(), scope), eval(s.index(), scope));
        } else if (expr instanceof Expr.Binary b) {
            return binary(b, scope);
        } else if (expr instanceof Expr.Filter f) {
            return Builtins.filter(this, f.name(), eval(f.value(), scope), evalAll(f.args(), scope),
                    evalKw(f.kwNames(), f.kwValues(), scope));
        } else if (expr instanceof Expr.Test t) {
            boolean r = Builtins.test(t.name(), eval(t.value(), scope), evalAll(t.args(), scope));
            return t.negated() != r;
        } else if (expr instanceof Expr.Call c) {
            return call(c, scope);
        } else if (expr instanceof Expr.Unary u) {
            return unary(u, scope);
        } else if (expr instanceof Expr.Conditional c) {
            return Values.truthy(eval(c.condition(), scope)) ? eval(c.whenTrue(), scope)
                    : c.whenFalse() == null ? Undefined.INSTANCE : eval(c.whenFalse(), scope);
        } else if (expr instanceof Expr.Slice s) {
            return Builtins.slice(eval(s.target(), scope), optional(s.start(), scope), optional(s.stop(), scope),
                    optional(s.step(), scope));
        } else if (expr instanceof Expr.ListLiteral l) {
            return new ArrayList<>(evalAll(l.items(), scope));
        } else if (expr instanceof Expr.TupleLiteral t) {
            return Collections.unmodifiableList(evalAll(t.items(), scope));
        } else {
            Expr.DictLiteral d = (Expr.DictLiteral) expr;
            Map<Object, Object> map = new LinkedHashMap<>();
            for (int i = 0; i < d.keys().size(); i++) {
                map.put(eval(d.keys().get(i), scope), eval(d.values().get(i), scope));
            }
            return map;
        }
    }

    private Object optional(Expr e, Scope scope) {
        return e == null ? null : eval(e, scope);
    }

    private List<Object> evalAll(List<Expr> exprs, Scope scope) {
        List<Object> values = new ArrayList<>(exprs.size());
        for (Expr e : exprs) {
            values.add(eval(e, scope));
        }
        return values;
    }

    private Map<String, Object> evalKw(List<String> names, List<Expr> values, Scope scope) {
        if (names.isEmpty()) {
            return Map.of();
        }
        Map<String, Object> kw = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            kw.put(names.get(i), eval(values.get(i), scope));
        }
        return kw;
    }

    private Object call(Expr.Call c, Scope scope) {
        line = c.line();
        Object callee = eval(c.callee(), scope);
        if (!(callee instanceof Callable fn)) {
            String what = c.callee() instanceof Expr.Name n ? "'" + n.name() + "'"
                    : c.callee() instanceof Expr.Attribute a ? "method '" + a.name() + "'" : "value";
            throw new TemplateException(what + " is not callable (" + Values.typeName(callee) + ")");
        }
        return fn.call(this, evalAll(c.args(), scope), evalKw(c.kwNames(), c.kwValues(), scope));
    }

    private Object unary(Expr.Unary u, Scope scope) {
        Object v = eval(u.operand(), scope);
        return switch (u.op()) {
            case "not" -> !Values.truthy(v);
            case "-" -> {
                if (v instanceof Long l) {
                    yield -l;
                }
                if (v instanceof Double d) {
                    yield -d;
                }
                throw new TemplateException("bad operand type for unary -: " + Values.typeName(v));
            }
            default -> v;
        };
    }

    private Object binary(Expr.Binary b, Scope scope) {
        line = b.line();
        switch (b.op()) {
            case "and" -> {
                Object left = eval(b.left(), scope);
                return Values.truthy(left) ? eval(b.right(), scope) : left;
            }
            case "or" -> {
                Object left = eval(b.left(), scope);
                return Values.truthy(left) ? left : eval(b.right(), scope);
            }
            default -> {
                return Arithmetic.apply(this, b.op(), eval(b.left(), scope), eval(b.right(), scope));
            }
        }
    }
}
