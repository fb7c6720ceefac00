package dev.locallm.template;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes values as JSON exactly as Python's {@code json.dumps} does with the arguments Hugging Face's
 * {@code tojson} filter passes ({@code ensure_ascii=False} unless asked, default separators), so prompts
 * match what models were trained on.
 */
final class JsonText {
    private final String indent;
    private final String itemSeparator;
    private final String keySeparator;
    private final boolean sortKeys;
    private final boolean ensureAscii;
    private final int maxChars;
    private final StringBuilder out = new StringBuilder();

    private JsonText(String indent, int maxChars, String itemSeparator, String keySeparator, boolean sortKeys,
                     boolean ensureAscii) {
        this.indent = indent;
        this.maxChars = maxChars;
        this.itemSeparator = itemSeparator;
        this.keySeparator = keySeparator;
        this.sortKeys = sortKeys;
        this.ensureAscii = ensureAscii;
    }

    /**
     * @param indent      the indentation of one level, or {@code null} for a single line
     * @param maxChars    the most characters written before the template fails
     * @param separators  item and key separators, or {@code null} for Python's defaults
     */
    static String write(Object value, String indent, int maxChars, List<String> separators, boolean sortKeys,
                        boolean ensureAscii) {
        String item = separators != null ? separators.get(0) : indent != null ? "," : ", ";
        String key = separators != null ? separators.get(1) : ": ";
        JsonText w = new JsonText(indent, maxChars, item, key, sortKeys, ensureAscii);
        w.value(value, 0);
        return w.out.toString();
    }

    private void value(Object v, int depth) {
        if (depth > 200) {
            throw new TemplateException("tojson: value nested too deeply");
        }
        if (out.length() > maxChars) {
            throw new TemplateException("tojson: the output is over the limit of " + maxChars + " characters");
        }
        if (v == null || v == Undefined.INSTANCE) {
            out.append("null");
        } else if (v instanceof Boolean b) {
            out.append(b ? "true" : "false");
        } else if (v instanceof Long l) {
            out.append(l);
        } else if (v instanceof Double d) {
            out.append(Double.isNaN(d) ? "NaN" : Double.isInfinite(d) ? (d > 0 ? "Infinity" : "-Infinity")
                    : Values.formatFloat(d));
        } else if (v instanceof String s) {
            string(s);
        } else if (v instanceof List<?> l) {
            if (l.isEmpty()) {
                out.append("[]");
                return;
            }
            out.append('[');
            for (int i = 0; i < l.size(); i++) {
                if (i > 0) {
                    out.append(itemSeparator);
                }
                newline(depth + 1);
                value(l.get(i), depth + 1);
            }
            newline(depth);
            out.append(']');
        } else if (v instanceof Map<?, ?> m) {
            if (m.isEmpty()) {
                out.append("{}");
                return;
            }
            Map<?, ?> entries = sortKeys ? new TreeMap<>(m) : m;
            out.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : entries.entrySet()) {
                if (!first) {
                    out.append(itemSeparator);
                }
                first = false;
                newline(depth + 1);
                Object k = e.getKey();
                string(k instanceof String s ? s : Values.str(k));
                out.append(keySeparator);
                value(e.getValue(), depth + 1);
            }
            newline(depth);
            out.append('}');
        } else if (v instanceof Namespace ns) {
            value(ns.attributes, depth);
        } else {
            throw new TemplateException("tojson: object of type " + Values.typeName(v) + " is not JSON serializable");
        }
    }

    private void newline(int depth) {
        if (indent != null) {
            out.append('\n');
            for (int i = 0; i < depth; i++) {
                out.append(indent);
                if (out.length() > maxChars) {
                    throw new TemplateException("tojson: the output is over the limit of " + maxChars + " characters");
                }
            }
        }
    }

    private void string(String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20 || (ensureAscii && c > 0x7e)) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
