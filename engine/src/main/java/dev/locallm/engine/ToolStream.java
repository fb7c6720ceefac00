package dev.locallm.engine;

import dev.locallm.engine.toolcall.ToolCallFormat;
import dev.locallm.engine.toolcall.ToolCallParser;
import dev.locallm.tool.ToolCallDelta;
import dev.locallm.tool.ToolSpec;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Separates tool calls from text while a generation streams: text before a call marker passes through (a
 * partial marker is held back), the call itself turns into {@link ToolCallDelta}s (id and name once known, then
 * arguments as they grow). In formats where the whole reply is the call, text that may start one is held until
 * it is clearly a call or clearly not.
 *
 * <p>Calls are looked for in the engine's format first. An engine that cannot know how its model writes calls
 * (a remote server that left them in the text) names further formats: the first marker of any of them to
 * appear decides, and a reply that opens with {@code {"name"} (or {@code [{"name"}) is a call in the
 * whole-reply format. Not thread-safe: one per generation.
 */
final class ToolStream {
    /** What to emit for one piece of generated text. */
    record Emission(String text, List<ToolCallDelta> deltas) { }

    private final List<ToolCallFormat> candidates;
    /** Whether no candidate has a call marker (every format is a whole-reply one). */
    private final boolean markerless;
    private final Set<String> tools = new HashSet<>();
    private final StringBuilder all = new StringBuilder();
    /** For each call found in the text (by its position there): the index it streams under, or -1 when skipped. */
    private final List<Integer> indexes = new ArrayList<>();
    private final List<Integer> emittedArguments = new ArrayList<>();
    /** The index the next call streams under. */
    private int nextIndex;
    /** The format the calls are in: the engine's until another one's calls are seen. */
    private ToolCallFormat format;
    private int emittedText;
    private boolean inCalls;
    private boolean plainText;

    /**
     * @param formats the formats calls may be written in, the engine's own first (its whole-reply formats are
     *                taken at the first non-blank text that may open a call, the others only at {@code {"name"})
     */
    ToolStream(List<ToolCallFormat> formats, List<ToolSpec> tools) {
        this.candidates = List.copyOf(formats);
        this.format = candidates.get(0);
        this.markerless = candidates.stream().allMatch(f -> f.marker().isEmpty());
        tools.forEach(t -> this.tools.add(t.name()));
    }

    Emission feed(String text) {
        all.append(text);
        if (plainText && emittedText == all.length() - text.length()) {
            emittedText = all.length();
            return new Emission(text, List.of());
        }
        if (inCalls) {
            return new Emission("", deltas(all.toString()));
        }
        if (plainText) {
            String out = all.substring(emittedText);
            emittedText = all.length();
            return new Emission(out, List.of());
        }
        return undecided();
    }

    /** No call seen yet: a marker decides; a reply that may be a whole call is held; anything else passes. */
    private Emission undecided() {
        int at = -1;
        for (ToolCallFormat f : candidates) {
            int i = f.marker().isEmpty() ? -1 : all.indexOf(f.marker(), emittedText);
            if (i >= 0 && (at < 0 || i < at)) {
                at = i;
                format = f;
            }
        }
        if (at >= 0) {
            inCalls = true;
            String before = all.substring(emittedText, at);
            emittedText = at;
            return new Emission(before, deltas(all.toString()));
        }
        if (emittedText == 0) {
            String s = all.toString();
            for (ToolCallFormat f : candidates) {
                if (!f.marker().isEmpty()) {
                    continue;
                }
                boolean own = f == candidates.get(0);
                if (own ? ToolCallParser.mayStartCall(s, f) : ToolCallParser.mayStartNamedCall(s)) {
                    if (!s.isBlank() && (own || ToolCallParser.startsNamedCall(s))) {
                        format = f;
                        inCalls = true;
                        return new Emission("", deltas(s));
                    }
                    return new Emission("", List.of());
                }
            }
        }
        if (markerless) {
            plainText = true;
            String out = all.substring(emittedText);
            emittedText = all.length();
            return new Emission(out, List.of());
        }
        int keep = heldMarkerPrefix();
        String out = all.substring(emittedText, all.length() - keep);
        emittedText = all.length() - keep;
        return new Emission(out, List.of());
    }

    /** Length of the longest end of the text not yet emitted that could still become a marker. */
    private int heldMarkerPrefix() {
        int length = all.length();
        int held = 0;
        for (ToolCallFormat f : candidates) {
            String marker = f.marker();
            for (int k = Math.min(marker.length() - 1, length - emittedText); k > held; k--) {
                boolean match = true;
                for (int j = 0; j < k && match; j++) {
                    match = all.charAt(length - k + j) == marker.charAt(j);
                }
                if (match) {
                    held = k;
                    break;
                }
            }
        }
        return held;
    }

    /** Deltas for what the calls found so far add; a call to a tool the request does not name is skipped. */
    private List<ToolCallDelta> deltas(String s) {
        List<ToolCallDelta> out = new ArrayList<>();
        List<ToolCallParser.Found> calls = ToolCallParser.scan(s, format, tools).calls();
        for (int i = 0; i < calls.size(); i++) {
            ToolCallParser.Found f = calls.get(i);
            if (i >= indexes.size()) {
                if (!tools.contains(f.name())) {
                    indexes.add(-1);
                    emittedArguments.add(0);
                    continue;
                }
                indexes.add(nextIndex);
                emittedArguments.add(0);
                out.add(new ToolCallDelta(nextIndex++, ToolCallParser.newId(format), f.name(), ""));
            }
            int index = indexes.get(i);
            int done = emittedArguments.get(i);
            if (index >= 0 && f.arguments().length() > done) {
                out.add(new ToolCallDelta(index, "", "", f.arguments().substring(done)));
                emittedArguments.set(i, f.arguments().length());
            }
        }
        return out;
    }

    /**
     * The end of the generation: the deltas that complete the calls, and the held text when it was not a call after
     * all.
     */
    Finish finish() {
        String s = all.toString();
        List<ToolCallDelta> deltas = List.of();
        boolean incomplete = false;
        boolean called = false;
        if (inCalls) {
            deltas = deltas(s);
            List<ToolCallParser.Found> found = ToolCallParser.scan(s, format, tools).calls();
            for (int i = 0; i < found.size() && i < indexes.size(); i++) {
                if (indexes.get(i) >= 0) {
                    called = true;
                    incomplete |= !found.get(i).complete();
                }
            }
        }
        String rest = "";
        if (!called) {
            rest = s.substring(emittedText);
            emittedText = s.length();
        }
        return new Finish(rest, deltas, called, incomplete);
    }

    /**
     * @param text       text still to emit (held text that turned out not to be a call)
     * @param deltas     the last pieces of the calls
     * @param called     whether the text held calls to the request's tools
     * @param incomplete whether a call was cut off
     */
    record Finish(String text, List<ToolCallDelta> deltas, boolean called, boolean incomplete) { }
}
