package dev.locallm.internal;

import dev.locallm.tool.ToolCall;
import dev.locallm.tool.ToolCallDelta;
import dev.locallm.tool.ToolCallFormat;
import dev.locallm.tool.ToolCallParser;
import dev.locallm.tool.ToolSpec;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Separates tool calls from text while a generation streams: text before a call marker passes through (a
 * partial marker is held back), the call itself turns into {@link ToolCallDelta}s (id and name once known, then
 * arguments as they grow). In formats where the whole reply is the call, text that may start one is held until
 * it is clearly a call or clearly not. Not thread-safe: one per generation.
 */
final class ToolStream {
    /** What to emit for one piece of generated text. */
    record Emission(String text, List<ToolCallDelta> deltas) { }

    private final ToolCallFormat format;
    private final Set<String> tools = new HashSet<>();
    private final StringBuilder all = new StringBuilder();
    private final List<String> ids = new ArrayList<>();
    private final List<Integer> emittedArguments = new ArrayList<>();
    private int emittedText;
    private boolean inCalls;
    private boolean plainText;

    ToolStream(ToolCallFormat format, List<ToolSpec> tools) {
        this.format = format;
        tools.forEach(t -> this.tools.add(t.name()));
    }

    Emission feed(String text) {
        all.append(text);
        if (plainText && emittedText == all.length() - text.length()) {
            emittedText = all.length();
            return new Emission(text, List.of());
        }
        if (!inCalls && !plainText && !format.marker().isEmpty()) {
            return beforeMarker();
        }
        String s = all.toString();
        if (!inCalls && !plainText) {
            if (format.marker().isEmpty()) {
                if (ToolCallParser.mayStartCall(s, format)) {
                    if (!s.isBlank()) {
                        inCalls = true;
                    }
                } else {
                    plainText = true;
                }
            }
        }
        if (plainText) {
            String out = s.substring(emittedText);
            emittedText = s.length();
            return new Emission(out, List.of());
        }
        return inCalls ? new Emission("", deltas(s)) : new Emission("", List.of());
    }

    /**
     * Text in a format with a call marker, none seen yet: what precedes a marker passes through, an end that
     * could still become one is held. Only the text not yet emitted is searched (everything before it was
     * searched already and held no marker start), so the cost per token does not grow with the reply.
     */
    private Emission beforeMarker() {
        String marker = format.marker();
        int at = all.indexOf(marker, emittedText);
        if (at >= 0) {
            inCalls = true;
            String before = all.substring(emittedText, at);
            emittedText = at;
            return new Emission(before, deltas(all.toString()));
        }
        int keep = heldMarkerPrefix();
        String out = all.substring(emittedText, all.length() - keep);
        emittedText = all.length() - keep;
        return new Emission(out, List.of());
    }

    /** Length of the longest end of the text not yet emitted that could still become the marker. */
    private int heldMarkerPrefix() {
        String marker = format.marker();
        int length = all.length();
        for (int k = Math.min(marker.length() - 1, length - emittedText); k > 0; k--) {
            boolean match = true;
            for (int j = 0; j < k && match; j++) {
                match = all.charAt(length - k + j) == marker.charAt(j);
            }
            if (match) {
                return k;
            }
        }
        return 0;
    }

    private List<ToolCallDelta> deltas(String s) {
        List<ToolCallDelta> out = new ArrayList<>();
        List<ToolCallParser.Found> calls = ToolCallParser.scan(s, format, tools).calls();
        for (int i = 0; i < calls.size(); i++) {
            ToolCallParser.Found f = calls.get(i);
            if (!tools.contains(f.name())) {
                continue;
            }
            if (i >= ids.size()) {
                ids.add(ToolCallParser.newId(format));
                emittedArguments.add(0);
                out.add(new ToolCallDelta(i, ids.get(i), f.name(), ""));
            }
            int done = emittedArguments.get(i);
            if (f.arguments().length() > done) {
                out.add(new ToolCallDelta(i, "", "", f.arguments().substring(done)));
                emittedArguments.set(i, f.arguments().length());
            }
        }
        return out;
    }

    /** The end of the generation: held text, if it was not a call after all, and the complete calls. */
    Finish finish() {
        String s = all.toString();
        List<ToolCall> calls = new ArrayList<>();
        boolean incomplete = false;
        if (inCalls) {
            List<ToolCallParser.Found> found = ToolCallParser.scan(s, format, tools).calls();
            for (int i = 0; i < found.size() && i < ids.size(); i++) {
                ToolCallParser.Found f = found.get(i);
                if (f.complete()) {
                    calls.add(new ToolCall(ids.get(i), f.name(), f.arguments()));
                } else {
                    incomplete = true;
                }
            }
        }
        String rest = "";
        if (calls.isEmpty() && !incomplete) {
            rest = s.substring(emittedText);
            emittedText = s.length();
        }
        return new Finish(rest, calls, incomplete);
    }

    /**
     * @param text       text still to emit (held text that turned out not to be a call)
     * @param calls      the complete calls
     * @param incomplete whether a call was cut off
     */
    record Finish(String text, List<ToolCall> calls, boolean incomplete) { }
}
