package dev.locallm.engine.grammar;

import dev.locallm.error.UnsupportedSchemaException;
import java.util.Iterator;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * How generated JSON is laid out. By default it is compact as Python's {@code json.dumps} writes it: {@code ", "}
 * between items, {@code ": "} between a name and its value, no other white space, so a small model spends no
 * tokens on indentation. A schema may ask otherwise in a top-level {@code "x-guidance"} object, the convention of
 * llguidance: {@code "whitespace_flexible": true} allows a bounded amount of white space around every token
 * (nothing, a space, or a newline and up to 20 spaces or tabs), and {@code "item_separator"} /
 * {@code "key_separator"} replace the separators ({@code ","} or {@code ":"} with JSON white space around it).
 * Other {@code x-guidance} keys are ignored. {@link #ANY} accepts every layout, for reading JSON written without
 * a grammar. Immutable.
 *
 * @param whitespace    where white space may stand
 * @param itemSeparator what stands between items and members in the fixed layout
 * @param keySeparator  what stands between a member's name and its value in the fixed layout
 */
record JsonLayout(Whitespace whitespace, String itemSeparator, String keySeparator) {

    /** Where white space may stand. */
    enum Whitespace {
        /** Only inside the separators. */
        FIXED,
        /** Around every token: nothing, a space, or a newline and up to 20 spaces or tabs. */
        BOUNDED,
        /** Around every token, any JSON white space. */
        ANY
    }

    /** Python's {@code json.dumps} layout. */
    static final JsonLayout COMPACT = new JsonLayout(Whitespace.FIXED, ", ", ": ");
    /** Any layout JSON allows. */
    static final JsonLayout ANY = new JsonLayout(Whitespace.ANY, ", ", ": ");

    /** Whether white space may stand around every token. */
    boolean flexible() {
        return whitespace != Whitespace.FIXED;
    }

    /**
     * The layout a schema document asks for.
     *
     * @throws UnsupportedSchemaException when its {@code x-guidance} asks for separators that are not JSON
     */
    static JsonLayout of(JsonNode document) {
        JsonNode guidance = document.isObject() ? document.get("x-guidance") : null;
        if (guidance == null || !guidance.isObject()) {
            return COMPACT;
        }
        return new JsonLayout(guidance.path("whitespace_flexible").asBoolean(false) ? Whitespace.BOUNDED
                : Whitespace.FIXED,
                separator(guidance, "item_separator", ',', COMPACT.itemSeparator),
                separator(guidance, "key_separator", ':', COMPACT.keySeparator));
    }

    private static String separator(JsonNode guidance, String key, char mark, String absent) {
        JsonNode value = guidance.get(key);
        if (value == null) {
            return absent;
        }
        String text = value.asString("");
        if (!text.strip().equals(String.valueOf(mark)) || !text.replace(String.valueOf(mark), "").matches("[ \t\n\r]*")) {
            throw new UnsupportedSchemaException("x-guidance", "#/x-guidance/" + key, key + " must be '" + mark
                    + "' with JSON white space around it, not " + value);
        }
        return text;
    }

    /** A JSON value written in this layout's separators (the compact ones when white space is flexible). */
    String write(JsonNode value) {
        StringBuilder out = new StringBuilder();
        write(value, out);
        return out.toString();
    }

    private void write(JsonNode value, StringBuilder out) {
        String items = flexible() ? COMPACT.itemSeparator : itemSeparator;
        if (value.isArray()) {
            out.append('[');
            for (int i = 0; i < value.size(); i++) {
                out.append(i == 0 ? "" : items);
                write(value.get(i), out);
            }
            out.append(']');
        } else if (value.isObject()) {
            out.append('{');
            Iterator<Map.Entry<String, JsonNode>> members = value.properties().iterator();
            for (boolean first = true; members.hasNext(); first = false) {
                Map.Entry<String, JsonNode> member = members.next();
                out.append(first ? "" : items).append(JsonMapper.shared().writeValueAsString(member.getKey()))
                        .append(flexible() ? COMPACT.keySeparator : keySeparator);
                write(member.getValue(), out);
            }
            out.append('}');
        } else {
            out.append(JsonMapper.shared().writeValueAsString(value));
        }
    }
}
