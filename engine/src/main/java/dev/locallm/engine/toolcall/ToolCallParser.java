package dev.locallm.engine.toolcall;

import dev.locallm.tool.ToolCall;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds tool calls in generated text, in any {@link ToolCallFormat}, also while the text is still streaming:
 * {@link #scan} reports calls in progress (name known, arguments so far). The arguments of a call are the raw
 * JSON text the model wrote for them, so that streamed pieces add up to exactly the final arguments. Only calls
 * to known tools count. Stateless; thread-safe.
 */
public final class ToolCallParser {
    private static final Pattern NAME = Pattern.compile("\\A\\s*\\{\\s*\"name\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");

    /**
     * A call found in text.
     *
     * @param name      the tool's name
     * @param arguments the arguments JSON text so far
     * @param complete  whether the call is complete
     */
    public record Found(String name, String arguments, boolean complete) { }

    /**
     * What a text holds: calls (complete or not) and the text outside them.
     *
     * @param content text before the calls (and after them, once complete), stripped
     * @param calls   the calls, in order
     */
    public record Scan(String content, List<Found> calls) {
        /** The complete calls, as {@link ToolCall}s with fresh ids. */
        public List<ToolCall> toolCalls(ToolCallFormat format) {
            List<ToolCall> out = new ArrayList<>();
            for (Found f : calls) {
                if (f.complete()) {
                    out.add(new ToolCall(newId(format), f.name(), f.arguments()));
                }
            }
            return out;
        }
    }

    private ToolCallParser() {
    }

    /** A new call id: {@code call_} and 24 letters or digits; 9 of them for Mistral, whose template checks. */
    public static String newId(ToolCallFormat format) {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        int n = format == ToolCallFormat.MISTRAL ? 9 : 24;
        StringBuilder sb = new StringBuilder(format == ToolCallFormat.MISTRAL ? "" : "call_");
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int i = 0; i < n; i++) {
            sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return sb.toString();
    }

    /** The complete calls in a finished text, trying {@code preferred} first and then the other formats. */
    public static Scan parse(String text, ToolCallFormat preferred, Set<String> tools) {
        Scan best = scan(text, preferred, tools);
        if (best.calls().stream().anyMatch(Found::complete)) {
            return best;
        }
        for (ToolCallFormat f : ToolCallFormat.values()) {
            if (f != preferred) {
                Scan s = scan(text, f, tools);
                if (s.calls().stream().anyMatch(Found::complete)) {
                    return s;
                }
            }
        }
        return new Scan(text.strip(), List.of());
    }

    /** Whether the text, so far, may be the start of calls in a format where the whole reply is the call. */
    public static boolean mayStartCall(String text, ToolCallFormat format) {
        String t = text.stripLeading();
        if (format.marker().isEmpty()) {
            t = stripPythonTag(stripFence(t));
            return t.isEmpty() || t.startsWith("{") || t.startsWith("[");
        }
        return false;
    }

    /**
     * Whether the text, so far, opens or may still open a call object: <code>{"name"</code> or <code>[{"name"</code>, white
     * space allowed, after a code fence or {@code <|python_tag|>}. Stricter than {@link #mayStartCall}: for
     * recognising whole-reply calls in a format the model was not expected to use.
     */
    public static boolean mayStartNamedCall(String text) {
        return namedCallOpening(text) >= 0;
    }

    /** Whether the text opens with a call object's <code>{"name"</code> (see {@link #mayStartNamedCall}). */
    public static boolean startsNamedCall(String text) {
        return namedCallOpening(text) > 0;
    }

    /** 1 when the text opens with {@code {"name"}, 0 when it may still become that, -1 when it cannot. */
    private static int namedCallOpening(String text) {
        String t = text.stripLeading();
        if ("```".startsWith(t) || "<|python_tag|>".startsWith(t)) {
            return 0;
        }
        t = stripPythonTag(stripFence(t));
        int i = t.startsWith("[") ? skipSpace(t, 1) : 0;
        String opening = "{\"name\"";
        for (int k = 0; k < opening.length(); k++, i++) {
            if (k == 1) {
                i = skipSpace(t, i);
            }
            if (i >= t.length()) {
                return 0;
            }
            if (t.charAt(i) != opening.charAt(k)) {
                return -1;
            }
        }
        return 1;
    }

    /** Calls (complete or in progress) in {@code text} in one format. */
    public static Scan scan(String text, ToolCallFormat format, Set<String> tools) {
        List<Found> calls = new ArrayList<>();
        if (!format.marker().isEmpty()) {
            int at = text.indexOf(format.marker());
            if (at < 0) {
                return new Scan(text.strip(), List.of());
            }
            String content = text.substring(0, at).strip();
            int pos = at + format.marker().length();
            int end = scanObjects(text, pos, format, tools, calls);
            if (format == ToolCallFormat.HERMES) {
                while (end >= 0) {
                    int close = text.indexOf("</tool_call>", end);
                    int next = text.indexOf(format.marker(), close < 0 ? end : close);
                    if (next < 0) {
                        break;
                    }
                    end = scanObjects(text, next + format.marker().length(), format, tools, calls);
                }
            }
            return new Scan(content, calls);
        }
        String body = stripPythonTag(stripFence(text.stripLeading()));
        int offset = text.length() - body.length();
        if (!body.startsWith("{") && !body.startsWith("[")) {
            return new Scan(text.strip(), List.of());
        }
        scanObjects(text, offset, format, tools, calls);
        return new Scan("", calls);
    }

    /**
     * Reads call objects from {@code pos}: one object, or an array of them. Returns the index after the last
     * complete object, or -1 when the text ends inside one.
     */
    private static int scanObjects(String text, int pos, ToolCallFormat format, Set<String> tools, List<Found> out) {
        int i = skipSpace(text, pos);
        boolean array = i < text.length() && text.charAt(i) == '[';
        if (array) {
            i++;
        }
        while (true) {
            i = skipSpace(text, i);
            if (i >= text.length()) {
                return -1;
            }
            char c = text.charAt(i);
            if (array && c == ',') {
                i++;
                continue;
            }
            if (array && c == ']') {
                return i + 1;
            }
            if (c != '{') {
                return i;
            }
            int end = JsonScanner.valueEnd(text, i);
            Found found = call(text.substring(i, end < 0 ? text.length() : end), format, tools, end >= 0);
            if (found != null) {
                out.add(found);
            }
            if (end < 0) {
                return -1;
            }
            i = end;
            if (!array) {
                return i;
            }
        }
    }

    /** A call from one object's text (maybe incomplete); {@code null} when it is not a call to a known tool. */
    private static Found call(String object, ToolCallFormat format, Set<String> tools, boolean complete) {
        Matcher m = NAME.matcher(object);
        if (!m.find()) {
            return null;
        }
        String name = m.group(1);
        if (!tools.contains(name) && (complete || tools.stream().noneMatch(t -> t.startsWith(name)))) {
            return null;
        }
        Matcher key = Pattern.compile("\"(" + format.argumentsKey() + "|arguments|parameters)\"\\s*:\\s*")
                .matcher(object);
        if (!key.find(m.end())) {
            return new Found(name, "", false);
        }
        int start = key.end();
        if (start >= object.length()) {
            return new Found(name, "", false);
        }
        int end = JsonScanner.valueEnd(object, start);
        String arguments = end < 0 ? object.substring(start) : object.substring(start, end);
        return new Found(name, arguments, complete && end >= 0 && tools.contains(name));
    }

    private static int skipSpace(String s, int i) {
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
            i++;
        }
        return i;
    }

    private static String stripPythonTag(String s) {
        return s.startsWith("<|python_tag|>") ? s.substring("<|python_tag|>".length()).stripLeading() : s;
    }

    private static String stripFence(String s) {
        if (s.startsWith("```")) {
            int nl = s.indexOf('\n');
            return nl < 0 ? "" : s.substring(nl + 1).stripLeading();
        }
        return s;
    }
}
