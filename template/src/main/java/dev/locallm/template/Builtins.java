package dev.locallm.template;

import java.time.ZonedDateTime;
import java.time.format.TextStyle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The globals, filters, tests and methods of Python objects that chat templates use, with the semantics of
 * Jinja2 as configured by Hugging Face's {@code apply_chat_template}.
 */
final class Builtins {
    private static final int MAX_RANGE = 100_000;
    private static final Set<String> DICT_METHODS = Set.of("items", "keys", "values", "get", "copy");
    private static final Set<String> LIST_METHODS = Set.of("index", "count");
    private static final Set<String> STRING_METHODS = Set.of("strip", "lstrip", "rstrip", "split", "rsplit",
            "startswith", "endswith", "upper", "lower", "title", "capitalize", "replace", "find", "rfind", "count",
            "join", "splitlines", "isdigit", "isalpha", "isalnum", "isspace", "isupper", "islower", "format", "index");

    private Builtins() {
    }

    private record BoundMethod(Object self, String name) implements TemplateRuntime.Callable {
        @Override
        public Object call(TemplateRuntime rt, List<Object> args, Map<String, Object> kwargs) {
            return method(rt, self, name, args);
        }
    }

    private record Global(String name) implements TemplateRuntime.Callable {
        @Override
        public Object call(TemplateRuntime rt, List<Object> args, Map<String, Object> kwargs) {
            return global(rt, name, args, kwargs);
        }
    }

    static void installGlobals(Map<String, Object> vars) {
        for (String name : List.of("raise_exception", "range", "namespace", "dict", "strftime_now", "len")) {
            vars.put(name, new Global(name));
        }
    }

    // ---- globals

    private static Object global(TemplateRuntime rt, String name, List<Object> args, Map<String, Object> kwargs) {
        switch (name) {
            case "raise_exception" -> throw new TemplateException(args.isEmpty() ? "raise_exception() called"
                    : Values.str(args.get(0)), true);
            case "range" -> {
                if (args.isEmpty() || args.size() > 3) {
                    throw new TemplateException("range expected 1 to 3 arguments, got " + args.size());
                }
                long start = args.size() == 1 ? 0 : Values.toLong(args.get(0));
                long stop = Values.toLong(args.get(args.size() == 1 ? 0 : 1));
                long step = args.size() == 3 ? Values.toLong(args.get(2)) : 1;
                if (step == 0) {
                    throw new TemplateException("range() arg 3 must not be zero");
                }
                List<Object> out = new ArrayList<>();
                for (long i = start; step > 0 ? i < stop : i > stop; i += step) {
                    if (out.size() >= MAX_RANGE) {
                        throw new TemplateException("range() longer than " + MAX_RANGE + " items");
                    }
                    out.add(i);
                }
                return out;
            }
            case "namespace" -> {
                Namespace ns = new Namespace();
                if (!args.isEmpty() && args.get(0) instanceof Map<?, ?> m) {
                    m.forEach((k, v) -> ns.attributes.put(Values.str(k), v));
                }
                ns.attributes.putAll(kwargs);
                return ns;
            }
            case "dict" -> {
                Map<Object, Object> d = new LinkedHashMap<>();
                if (!args.isEmpty() && args.get(0) instanceof Map<?, ?> m) {
                    d.putAll(m);
                }
                d.putAll(kwargs);
                return d;
            }
            case "len" -> {
                return (long) Values.length(arg(args, 0, "len"));
            }
            default -> {
                return strftime(Values.str(arg(args, 0, "strftime_now")), ZonedDateTime.now());
            }
        }
    }

    /** Python's {@code strftime} for the directives date formats in chat templates use. */
    static String strftime(String format, ZonedDateTime t) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 >= format.length()) {
                sb.append(c);
                continue;
            }
            char d = format.charAt(++i);
            switch (d) {
                case 'Y' -> sb.append(t.getYear());
                case 'y' -> sb.append(String.format("%02d", t.getYear() % 100));
                case 'm' -> sb.append(String.format("%02d", t.getMonthValue()));
                case 'd' -> sb.append(String.format("%02d", t.getDayOfMonth()));
                case 'e' -> sb.append(String.format("%2d", t.getDayOfMonth()));
                case 'H' -> sb.append(String.format("%02d", t.getHour()));
                case 'I' -> sb.append(String.format("%02d", (t.getHour() + 11) % 12 + 1));
                case 'M' -> sb.append(String.format("%02d", t.getMinute()));
                case 'S' -> sb.append(String.format("%02d", t.getSecond()));
                case 'p' -> sb.append(t.getHour() < 12 ? "AM" : "PM");
                case 'j' -> sb.append(String.format("%03d", t.getDayOfYear()));
                case 'b' -> sb.append(t.getMonth().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
                case 'B' -> sb.append(t.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
                case 'a' -> sb.append(t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
                case 'A' -> sb.append(t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
                case '%' -> sb.append('%');
                default -> sb.append('%').append(d);
            }
        }
        return sb.toString();
    }

    // ---- attribute and item access

    static Object attribute(Object target, String name) {
        if (target instanceof Map<?, ?> m) {
            if (DICT_METHODS.contains(name)) {
                return new BoundMethod(target, name);
            }
            return m.containsKey(name) ? m.get(name) : Undefined.INSTANCE;
        }
        if (target instanceof String && STRING_METHODS.contains(name)) {
            return new BoundMethod(target, name);
        }
        if (target instanceof List<?> && LIST_METHODS.contains(name)) {
            return new BoundMethod(target, name);
        }
        if (target instanceof Namespace ns) {
            return ns.attributes.getOrDefault(name, Undefined.INSTANCE);
        }
        if (target instanceof LoopInfo loop) {
            return loop.attribute(name);
        }
        return Undefined.INSTANCE;
    }

    static Object subscript(Object target, Object key) {
        if (target instanceof Map<?, ?> m) {
            return m.containsKey(key) ? m.get(key) : Undefined.INSTANCE;
        }
        if (target instanceof List<?> l && key instanceof Long i) {
            long index = i < 0 ? l.size() + i : i;
            return index >= 0 && index < l.size() ? l.get((int) index) : Undefined.INSTANCE;
        }
        if (target instanceof String s && key instanceof Long i) {
            int[] cps = s.codePoints().toArray();
            long index = i < 0 ? cps.length + i : i;
            return index >= 0 && index < cps.length ? new String(Character.toChars(cps[(int) index]))
                    : Undefined.INSTANCE;
        }
        if (key instanceof String name) {
            return attribute(target, name);
        }
        return Undefined.INSTANCE;
    }

    static Object slice(Object target, Object start, Object stop, Object step) {
        long st = step == null ? 1 : Values.toLong(step);
        if (st == 0) {
            throw new TemplateException("slice step cannot be zero");
        }
        List<?> items;
        boolean isString = target instanceof String;
        if (target instanceof String s) {
            List<Object> cps = new ArrayList<>();
            s.codePoints().forEach(cp -> cps.add(new String(Character.toChars(cp))));
            items = cps;
        } else if (target instanceof List<?> l) {
            items = l;
        } else {
            throw new TemplateException("'" + Values.typeName(target) + "' object is not subscriptable");
        }
        int n = items.size();
        long lo;
        long hi;
        if (st > 0) {
            lo = bound(start, 0, n, n);
            hi = bound(stop, n, n, n);
        } else {
            lo = bound(start, n - 1, n, n - 1);
            hi = stop == null ? -1 : bound(stop, -1, n, n - 1);
        }
        List<Object> out = new ArrayList<>();
        for (long i = lo; st > 0 ? i < hi : i > hi; i += st) {
            if (i >= 0 && i < n) {
                out.add(items.get((int) i));
            }
        }
        if (isString) {
            StringBuilder sb = new StringBuilder();
            out.forEach(sb::append);
            return sb.toString();
        }
        return out;
    }

    private static long bound(Object value, long absent, int n, long max) {
        if (value == null || value == Undefined.INSTANCE) {
            return absent;
        }
        long v = Values.toLong(value);
        if (v < 0) {
            v += n;
            if (v < 0) {
                return max == n ? 0 : -1;
            }
        }
        return Math.min(v, max);
    }

    // ---- methods

    /**
     * Calls a method. Like Hugging Face's immutable sandbox, only methods that do not modify their object
     * exist: {@code list.append} or {@code dict.update} fail as in Python.
     */
    private static Object method(TemplateRuntime rt, Object self, String name, List<Object> args) {
        if (self instanceof String s) {
            return stringMethod(rt, s, name, args);
        }
        if (self instanceof List<?> l) {
            Object needle = arg(args, 0, name);
            long count = 0;
            for (int i = 0; i < l.size(); i++) {
                if (Values.equal(l.get(i), needle)) {
                    if (name.equals("index")) {
                        return (long) i;
                    }
                    count++;
                }
            }
            if (name.equals("index")) {
                throw new TemplateException("value is not in list");
            }
            return count;
        }
        Map<?, ?> map = (Map<?, ?>) self;
        return switch (name) {
            case "items" -> items(map);
            case "keys" -> new ArrayList<>(map.keySet());
            case "values" -> new ArrayList<>(map.values());
            case "get" -> {
                Object key = arg(args, 0, name);
                yield map.containsKey(key) ? map.get(key) : args.size() > 1 ? args.get(1) : null;
            }
            default -> new LinkedHashMap<>(map);
        };
    }

    private static List<Object> items(Map<?, ?> map) {
        List<Object> out = new ArrayList<>(map.size());
        map.forEach((k, v) -> out.add(Collections.unmodifiableList(Arrays.asList(k, v))));
        return out;
    }

    private static Object stringMethod(TemplateRuntime rt, String s, String name, List<Object> args) {
        switch (name) {
            case "strip" -> {
                return strip(s, optionalString(args, 0), true, true);
            }
            case "lstrip" -> {
                return strip(s, optionalString(args, 0), true, false);
            }
            case "rstrip" -> {
                return strip(s, optionalString(args, 0), false, true);
            }
            case "split", "rsplit" -> {
                String sep = optionalString(args, 0);
                long max = args.size() > 1 ? Values.toLong(args.get(1)) : -1;
                return split(s, sep, max, name.equals("rsplit"));
            }
            case "startswith", "endswith" -> {
                Object p = arg(args, 0, name);
                List<?> options = p instanceof List<?> l ? l : List.of(p);
                for (Object o : options) {
                    String prefix = Values.str(o);
                    if (name.equals("startswith") ? s.startsWith(prefix) : s.endsWith(prefix)) {
                        return true;
                    }
                }
                return false;
            }
            case "upper" -> {
                return s.toUpperCase(Locale.ROOT);
            }
            case "lower" -> {
                return s.toLowerCase(Locale.ROOT);
            }
            case "title" -> {
                return title(s);
            }
            case "capitalize" -> {
                return s.isEmpty() ? s : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1).toLowerCase(Locale.ROOT);
            }
            case "replace" -> {
                return replace(rt, s, Values.str(arg(args, 0, name)), Values.str(arg(args, 1, name)),
                        args.size() > 2 ? Values.toLong(args.get(2)) : -1);
            }
            case "find" -> {
                return (long) s.indexOf(Values.str(arg(args, 0, name)));
            }
            case "rfind" -> {
                return (long) s.lastIndexOf(Values.str(arg(args, 0, name)));
            }
            case "index" -> {
                int at = s.indexOf(Values.str(arg(args, 0, name)));
                if (at < 0) {
                    throw new TemplateException("substring not found");
                }
                return (long) at;
            }
            case "count" -> {
                String sub = Values.str(arg(args, 0, name));
                if (sub.isEmpty()) {
                    return (long) s.length() + 1;
                }
                long n = 0;
                for (int at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + sub.length())) {
                    n++;
                }
                return n;
            }
            case "join" -> {
                List<String> parts = new ArrayList<>();
                for (Object o : Values.iterate(arg(args, 0, name))) {
                    parts.add(Values.str(o));
                }
                return rt.checkSize(String.join(s, parts));
            }
            case "splitlines" -> {
                List<Object> lines = new ArrayList<>(List.of(s.split("\r\n|\r|\n", -1)));
                if (((String) lines.get(lines.size() - 1)).isEmpty()) {
                    lines.remove(lines.size() - 1);
                }
                return lines;
            }
            case "isdigit" -> {
                return !s.isEmpty() && s.chars().allMatch(Character::isDigit);
            }
            case "isalpha" -> {
                return !s.isEmpty() && s.chars().allMatch(Character::isLetter);
            }
            case "isalnum" -> {
                return !s.isEmpty() && s.chars().allMatch(Character::isLetterOrDigit);
            }
            case "isspace" -> {
                return !s.isEmpty() && s.chars().allMatch(Character::isWhitespace);
            }
            case "isupper" -> {
                return s.chars().anyMatch(Character::isLetter) && s.equals(s.toUpperCase(Locale.ROOT));
            }
            case "islower" -> {
                return s.chars().anyMatch(Character::isLetter) && s.equals(s.toLowerCase(Locale.ROOT));
            }
            default -> {
                return format(rt, s, args);
            }
        }
    }

    private static String format(TemplateRuntime rt, String s, List<Object> args) {
        StringBuilder sb = new StringBuilder();
        int auto = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '{' && i + 1 < s.length() && s.charAt(i + 1) == '{') {
                sb.append('{');
                i++;
            } else if (c == '}' && i + 1 < s.length() && s.charAt(i + 1) == '}') {
                sb.append('}');
                i++;
            } else if (c == '{') {
                int end = s.indexOf('}', i);
                if (end < 0) {
                    throw new TemplateException("format: single '{' encountered");
                }
                String field = s.substring(i + 1, end);
                int index = field.isEmpty() ? auto++ : Integer.parseInt(field);
                sb.append(Values.str(arg(args, index, "format")));
                i = end;
            } else {
                sb.append(c);
            }
        }
        return rt.checkSize(sb.toString());
    }

    static String strip(String s, String chars, boolean left, boolean right) {
        int start = 0;
        int end = s.length();
        while (left && start < end && stripped(s.charAt(start), chars)) {
            start++;
        }
        while (right && end > start && stripped(s.charAt(end - 1), chars)) {
            end--;
        }
        return s.substring(start, end);
    }

    private static boolean stripped(char c, String chars) {
        return chars == null ? Character.isWhitespace(c) : chars.indexOf(c) >= 0;
    }

    private static List<Object> split(String s, String sep, long max, boolean fromRight) {
        List<Object> out = new ArrayList<>();
        if (sep == null) {
            String[] words = s.strip().split("\\s+");
            if (s.isBlank()) {
                return out;
            }
            if (max < 0 || max >= words.length - 1) {
                out.addAll(List.of(words));
                return out;
            }
            String rest = s.strip();
            for (int i = 0; i < max; i++) {
                String[] two = rest.split("\\s+", 2);
                out.add(two[0]);
                rest = two.length > 1 ? two[1] : "";
            }
            out.add(rest);
            return out;
        }
        if (sep.isEmpty()) {
            throw new TemplateException("empty separator");
        }
        if (fromRight && max >= 0) {
            List<Object> reversed = new ArrayList<>();
            String rest = s;
            while (max-- > 0) {
                int at = rest.lastIndexOf(sep);
                if (at < 0) {
                    break;
                }
                reversed.add(0, rest.substring(at + sep.length()));
                rest = rest.substring(0, at);
            }
            reversed.add(0, rest);
            return reversed;
        }
        int from = 0;
        while (max < 0 || out.size() < max) {
            int at = s.indexOf(sep, from);
            if (at < 0) {
                break;
            }
            out.add(s.substring(from, at));
            from = at + sep.length();
        }
        out.add(s.substring(from));
        return out;
    }

    private static String title(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        boolean previousLetter = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            sb.append(previousLetter ? Character.toLowerCase(c) : Character.toUpperCase(c));
            previousLetter = Character.isLetter(c);
        }
        return sb.toString();
    }

    private static String replace(TemplateRuntime rt, String s, String old, String replacement, long count) {
        if (count < 0) {
            return rt.checkSize(old.isEmpty() ? s : s.replace(old, replacement));
        }
        StringBuilder sb = new StringBuilder();
        int from = 0;
        for (long n = 0; n < count; n++) {
            int at = s.indexOf(old, from);
            if (at < 0 || old.isEmpty()) {
                break;
            }
            sb.append(s, from, at).append(replacement);
            from = at + old.length();
        }
        return rt.checkSize(sb.append(s.substring(from)).toString());
    }

    // ---- filters

    static Object filter(TemplateRuntime rt, String name, Object v, List<Object> args, Map<String, Object> kw) {
        switch (name) {
            case "trim" -> {
                return strip(Values.str(v), optionalString(args, 0), true, true);
            }
            case "tojson" -> {
                Object indent = kwOrArg(kw, "indent", args, 0);
                Object separators = kw.get("separators");
                return rt.checkSize(JsonText.write(v, indent == null || indent == Undefined.INSTANCE ? null
                                : rt.repeat(" ", Values.toLong(indent)), rt.limits().maxOutputChars(),
                        separators instanceof List<?> l ? List.of(Values.str(l.get(0)), Values.str(l.get(1))) : null,
                        Values.truthy(kw.get("sort_keys")), Values.truthy(kw.get("ensure_ascii"))));
            }
            case "length", "count" -> {
                return (long) Values.length(v);
            }
            case "join" -> {
                String sep = args.isEmpty() ? Values.str(kw.getOrDefault("d", "")) : Values.str(args.get(0));
                Object attribute = kwOrArg(kw, "attribute", args, 1);
                List<String> parts = new ArrayList<>();
                for (Object o : Values.iterate(v)) {
                    parts.add(Values.str(attribute == null ? o : subscript(o, attribute)));
                }
                return rt.checkSize(String.join(sep, parts));
            }
            case "default", "d" -> {
                Object fallback = args.isEmpty() ? kw.getOrDefault("default_value", "") : args.get(0);
                boolean bool = args.size() > 1 ? Values.truthy(args.get(1)) : Values.truthy(kw.get("boolean"));
                return v == Undefined.INSTANCE || (bool && !Values.truthy(v)) ? fallback : v;
            }
            case "upper" -> {
                return Values.str(v).toUpperCase(Locale.ROOT);
            }
            case "lower" -> {
                return Values.str(v).toLowerCase(Locale.ROOT);
            }
            case "title" -> {
                return title(Values.str(v));
            }
            case "capitalize" -> {
                return stringMethod(rt, Values.str(v), "capitalize", List.of());
            }
            case "first" -> {
                List<?> l = Values.iterate(v);
                return l.isEmpty() ? Undefined.INSTANCE : l.get(0);
            }
            case "last" -> {
                List<?> l = Values.iterate(v);
                return l.isEmpty() ? Undefined.INSTANCE : l.get(l.size() - 1);
            }
            case "list" -> {
                return new ArrayList<>(Values.iterate(v));
            }
            case "string" -> {
                return Values.str(v);
            }
            case "int" -> {
                return toInt(v, args.isEmpty() ? 0L : args.get(0));
            }
            case "float" -> {
                return toFloat(v, args.isEmpty() ? 0.0 : args.get(0));
            }
            case "abs" -> {
                return v instanceof Long l ? (Object) Math.abs(l) : (Object) Math.abs(Values.toDouble(v));
            }
            case "round" -> {
                long precision = args.isEmpty() ? 0 : Values.toLong(args.get(0));
                double scale = Math.pow(10, precision);
                return Math.round(Values.toDouble(v) * scale) / scale;
            }
            case "replace" -> {
                return replace(rt, Values.str(v), Values.str(arg(args, 0, name)), Values.str(arg(args, 1, name)),
                        args.size() > 2 ? Values.toLong(args.get(2)) : -1);
            }
            case "items" -> {
                return v instanceof Map<?, ?> m ? items(m) : v == Undefined.INSTANCE ? List.of() : fail("items", v);
            }
            case "dictsort" -> {
                if (!(v instanceof Map<?, ?> m)) {
                    return fail("dictsort", v);
                }
                List<Object> out = items(m);
                out.sort((a, b) -> Values.compare(((List<?>) a).get(0), ((List<?>) b).get(0)));
                return out;
            }
            case "map" -> {
                List<Object> out = new ArrayList<>();
                for (Object o : Values.iterate(v)) {
                    if (kw.containsKey("attribute")) {
                        Object value = subscript(o, kw.get("attribute"));
                        out.add(value == Undefined.INSTANCE && kw.containsKey("default") ? kw.get("default") : value);
                    } else {
                        out.add(filter(rt, Values.str(arg(args, 0, name)), o, args.subList(1, args.size()), Map.of()));
                    }
                }
                return out;
            }
            case "select", "reject" -> {
                List<Object> out = new ArrayList<>();
                for (Object o : Values.iterate(v)) {
                    boolean r = args.isEmpty() ? Values.truthy(o)
                            : test(Values.str(args.get(0)), o, args.subList(1, args.size()));
                    if (r == name.equals("select")) {
                        out.add(o);
                    }
                }
                return out;
            }
            case "selectattr", "rejectattr" -> {
                List<Object> out = new ArrayList<>();
                for (Object o : Values.iterate(v)) {
                    Object attr = subscript(o, arg(args, 0, name));
                    boolean r = args.size() < 2 ? Values.truthy(attr)
                            : test(Values.str(args.get(1)), attr, args.subList(2, args.size()));
                    if (r == name.equals("selectattr")) {
                        out.add(o);
                    }
                }
                return out;
            }
            case "unique" -> {
                List<Object> out = new ArrayList<>();
                for (Object o : Values.iterate(v)) {
                    if (!Values.contains(out, o)) {
                        out.add(o);
                    }
                }
                return out;
            }
            case "sort" -> {
                List<Object> out = new ArrayList<>(Values.iterate(v));
                Object attribute = kw.get("attribute");
                Comparator<Object> cmp = (a, b) -> Values.compare(attribute == null ? a : subscript(a, attribute),
                        attribute == null ? b : subscript(b, attribute));
                boolean reverse = Values.truthy(kwOrArg(kw, "reverse", args, 0));
                out.sort(reverse ? cmp.reversed() : cmp);
                return out;
            }
            case "reverse" -> {
                if (v instanceof String s) {
                    return new StringBuilder(s).reverse().toString();
                }
                List<Object> out = new ArrayList<>(Values.iterate(v));
                Collections.reverse(out);
                return out;
            }
            case "sum" -> {
                Object total = kw.getOrDefault("start", 0L);
                Object attribute = kwOrArg(kw, "attribute", args, 0);
                for (Object o : Values.iterate(v)) {
                    total = Arithmetic.apply(rt, "+", total, attribute == null ? o : subscript(o, attribute));
                }
                return total;
            }
            case "min", "max" -> {
                Object best = Undefined.INSTANCE;
                for (Object o : Values.iterate(v)) {
                    if (best == Undefined.INSTANCE || (Values.compare(o, best) < 0) == name.equals("min")) {
                        best = o;
                    }
                }
                return best;
            }
            case "safe" -> {
                return Values.str(v);
            }
            case "escape", "e" -> {
                return Values.str(v).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                        .replace("\"", "&#34;").replace("'", "&#39;");
            }
            case "indent" -> {
                Object width = kwOrArg(kw, "width", args, 0);
                String pad = width instanceof String s ? s : rt.repeat(" ", width == null ? 4 : Values.toLong(width));
                boolean first = Values.truthy(kwOrArg(kw, "first", args, 1));
                boolean blank = Values.truthy(kwOrArg(kw, "blank", args, 2));
                String[] lines = Values.str(v).split("\n", -1);
                StringBuilder sb = new StringBuilder();
                for (int i = 0; i < lines.length; i++) {
                    if (i > 0) {
                        sb.append('\n');
                    }
                    boolean indentLine = (i > 0 || first) && (blank || !lines[i].isBlank());
                    sb.append(indentLine ? pad : "").append(lines[i]);
                    rt.checkSize(sb);
                }
                return rt.checkSize(sb.toString());
            }
            case "wordcount" -> {
                return (long) split(Values.str(v), null, -1, false).size();
            }
            default -> throw new TemplateException("unknown filter '" + name + "'");
        }
    }

    private static Object fail(String filter, Object v) {
        throw new TemplateException("filter '" + filter + "' cannot be applied to " + Values.typeName(v));
    }

    private static Object toInt(Object v, Object fallback) {
        if (v instanceof Long || v instanceof Boolean) {
            return Values.toLong(v);
        }
        if (v instanceof Double d) {
            return (long) (double) d;
        }
        try {
            return Long.parseLong(Values.str(v).strip());
        } catch (NumberFormatException e) {
            try {
                return (long) Double.parseDouble(Values.str(v).strip());
            } catch (NumberFormatException e2) {
                return fallback;
            }
        }
    }

    private static Object toFloat(Object v, Object fallback) {
        if (Values.isNumber(v)) {
            return Values.toDouble(v);
        }
        try {
            return Double.parseDouble(Values.str(v).strip());
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    // ---- tests

    static boolean test(String name, Object v, List<Object> args) {
        return switch (name) {
            case "defined" -> v != Undefined.INSTANCE;
            case "undefined" -> v == Undefined.INSTANCE;
            case "none" -> v == null;
            case "boolean" -> v instanceof Boolean;
            case "true" -> Boolean.TRUE.equals(v);
            case "false" -> Boolean.FALSE.equals(v);
            case "integer" -> v instanceof Long;
            case "float" -> v instanceof Double;
            case "number" -> v instanceof Long || v instanceof Double;
            case "string" -> v instanceof String;
            case "mapping" -> v instanceof Map<?, ?>;
            case "iterable" -> v instanceof List<?> || v instanceof Map<?, ?> || v instanceof String;
            case "sequence" -> v instanceof List<?> || v instanceof String;
            case "callable" -> v instanceof TemplateRuntime.Callable;
            case "equalto", "eq", "==", "sameas" -> Values.equal(v, arg(args, 0, name));
            case "ne", "!=" -> !Values.equal(v, arg(args, 0, name));
            case "lt", "lessthan", "<" -> Values.compare(v, arg(args, 0, name)) < 0;
            case "le", "<=" -> Values.compare(v, arg(args, 0, name)) <= 0;
            case "gt", "greaterthan", ">" -> Values.compare(v, arg(args, 0, name)) > 0;
            case "ge", ">=" -> Values.compare(v, arg(args, 0, name)) >= 0;
            case "in" -> Values.contains(arg(args, 0, name), v);
            case "odd" -> Values.toLong(v) % 2 != 0;
            case "even" -> Values.toLong(v) % 2 == 0;
            case "divisibleby" -> Values.toLong(v) % Values.toLong(arg(args, 0, name)) == 0;
            case "lower" -> v instanceof String s && s.equals(s.toLowerCase(Locale.ROOT));
            case "upper" -> v instanceof String s && s.equals(s.toUpperCase(Locale.ROOT));
            default -> throw new TemplateException("unknown test '" + name + "'");
        };
    }

    // ---- argument helpers

    private static Object arg(List<Object> args, int index, String function) {
        if (index >= args.size()) {
            throw new TemplateException(function + "() is missing argument " + (index + 1));
        }
        return args.get(index);
    }

    private static String optionalString(List<Object> args, int index) {
        if (index >= args.size() || args.get(index) == null || args.get(index) == Undefined.INSTANCE) {
            return null;
        }
        return Values.str(args.get(index));
    }

    private static Object kwOrArg(Map<String, Object> kw, String name, List<Object> args, int index) {
        if (kw.containsKey(name)) {
            return kw.get(name);
        }
        return index < args.size() ? args.get(index) : null;
    }
}
