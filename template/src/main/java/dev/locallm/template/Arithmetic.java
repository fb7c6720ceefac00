package dev.locallm.template;

import java.util.ArrayList;
import java.util.List;

/** Binary operators with Python semantics. */
final class Arithmetic {
    private Arithmetic() {
    }

    static Object apply(TemplateRuntime rt, String op, Object a, Object b) {
        return switch (op) {
            case "==" -> Values.equal(a, b);
            case "!=" -> !Values.equal(a, b);
            case "<" -> Values.compare(a, b) < 0;
            case "<=" -> Values.compare(a, b) <= 0;
            case ">" -> Values.compare(a, b) > 0;
            case ">=" -> Values.compare(a, b) >= 0;
            case "in" -> Values.contains(b, a);
            case "not in" -> !Values.contains(b, a);
            case "~" -> rt.checkSize(Values.str(a) + Values.str(b));
            case "+" -> plus(rt, a, b);
            case "*" -> times(rt, a, b);
            default -> numeric(op, a, b);
        };
    }

    private static Object plus(TemplateRuntime rt, Object a, Object b) {
        if (a instanceof String sa && b instanceof String sb) {
            return rt.checkSize(sa + sb);
        }
        if (a instanceof List<?> la && b instanceof List<?> lb) {
            List<Object> joined = new ArrayList<>(la);
            joined.addAll(lb);
            return joined;
        }
        if (Values.isNumber(a) && Values.isNumber(b)) {
            if (a instanceof Double || b instanceof Double) {
                return Values.toDouble(a) + Values.toDouble(b);
            }
            return Values.toLong(a) + Values.toLong(b);
        }
        throw unsupported("+", a, b);
    }

    private static Object times(TemplateRuntime rt, Object a, Object b) {
        if (a instanceof String s && b instanceof Long n) {
            return rt.repeat(s, n);
        }
        if (b instanceof String s && a instanceof Long n) {
            return rt.repeat(s, n);
        }
        if (Values.isNumber(a) && Values.isNumber(b)) {
            if (a instanceof Double || b instanceof Double) {
                return Values.toDouble(a) * Values.toDouble(b);
            }
            return Values.toLong(a) * Values.toLong(b);
        }
        throw unsupported("*", a, b);
    }

    private static Object numeric(String op, Object a, Object b) {
        if (!Values.isNumber(a) || !Values.isNumber(b)) {
            throw unsupported(op, a, b);
        }
        boolean floating = a instanceof Double || b instanceof Double;
        switch (op) {
            case "-" -> {
                return floating ? (Object) (Values.toDouble(a) - Values.toDouble(b)) : Values.toLong(a) - Values.toLong(b);
            }
            case "/" -> {
                double d = Values.toDouble(b);
                if (d == 0) {
                    throw new TemplateException("division by zero");
                }
                return Values.toDouble(a) / d;
            }
            case "//" -> {
                if (Values.toDouble(b) == 0) {
                    throw new TemplateException("integer division by zero");
                }
                return floating ? (Object) Math.floor(Values.toDouble(a) / Values.toDouble(b))
                        : Math.floorDiv(Values.toLong(a), Values.toLong(b));
            }
            case "%" -> {
                if (Values.toDouble(b) == 0) {
                    throw new TemplateException("modulo by zero");
                }
                if (floating) {
                    double x = Values.toDouble(a);
                    double y = Values.toDouble(b);
                    return x - Math.floor(x / y) * y;
                }
                return Math.floorMod(Values.toLong(a), Values.toLong(b));
            }
            case "**" -> {
                double r = Math.pow(Values.toDouble(a), Values.toDouble(b));
                return floating || Values.toLong(b) < 0 ? (Object) r : (Object) (long) r;
            }
            default -> throw new TemplateException("unknown operator " + op);
        }
    }

    private static TemplateException unsupported(String op, Object a, Object b) {
        return new TemplateException("unsupported operand type(s) for " + op + ": '" + Values.typeName(a) + "' and '"
                + Values.typeName(b) + "'");
    }
}
