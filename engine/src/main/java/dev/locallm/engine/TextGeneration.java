package dev.locallm.engine;

import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.FinishReason;
import dev.locallm.chat.GenerationOptions;
import dev.locallm.chat.Timings;
import dev.locallm.chat.TruncationPolicy;
import dev.locallm.chat.Usage;
import dev.locallm.engine.grammar.Grammar;
import dev.locallm.engine.grammar.GrammarState;
import dev.locallm.engine.toolcall.ToolCallFormat;
import dev.locallm.schema.SchemaAssertion;
import dev.locallm.spi.Generation;
import dev.locallm.spi.GenerationEvent;
import dev.locallm.tool.ToolCallDelta;
import dev.locallm.tool.ToolSpec;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The generation an engine hands to core when its model writes text: it wraps the engine's own generation, whose
 * {@link GenerationEvent.Text} events are what the model wrote, and gives core the SPI's structured events. It
 * cuts the text at the request's stop sequences (holding back a tail that may become one), takes tool calls written
 * in the model's format out of the text as {@link GenerationEvent.CallDelta}s, and, when the request's truncation
 * policy is {@link TruncationPolicy#CLOSE_JSON} and the reply was cut short, closes the JSON with the shortest text
 * its grammar allows. Calls the wrapped generation already reports as {@link GenerationEvent.CallDelta}s (a
 * server's structured calls) pass through unchanged; calls found in its text stream after them.
 *
 * <pre>{@code
 * Generation raw = startNative(prompt, grammar);          // Text events: the model's tokens
 * return TextGeneration.chat(raw, request, List.of(ToolCallFormat.HERMES));
 * }</pre>
 *
 * <p>Threading as {@link Generation} requires: {@link #next()} and {@link #close()} from one consumer thread,
 * {@link #cancel()} from any; one instance per generation.
 */
public final class TextGeneration implements Generation {
    private final Generation raw;
    private final StopSequenceMatcher stops;
    /** The request, for tools and JSON closing; {@code null} for a raw completion. */
    private final ChatRequest request;
    private final List<ToolCallFormat> formats;
    private final ToolStream tools;
    private final Deque<GenerationEvent> pending = new ArrayDeque<>();
    /** Everything generated after stop sequences (calls included): what closing JSON continues. */
    private final StringBuilder generated = new StringBuilder();
    /** Calls the wrapped generation reported as deltas, by its index: name and arguments so far. */
    private final Map<Integer, String[]> structured = new HashMap<>();
    /** The index each call streams under, from its index in the text or in the wrapped generation's deltas. */
    private final Map<Integer, Integer> textIndexes = new HashMap<>();
    private final Map<Integer, Integer> structuredIndexes = new HashMap<>();
    /** The index of the last call the wrapped generation reported, or -1. */
    private int lastStructured = -1;
    private boolean finished;
    private final List<SchemaAssertion> unenforced;

    private TextGeneration(Generation raw, List<String> stops, ChatRequest request, List<ToolCallFormat> formats,
                           List<SchemaAssertion> unenforced) {
        this.raw = Objects.requireNonNull(raw, "raw");
        this.stops = new StopSequenceMatcher(stops);
        this.request = request;
        this.formats = formats;
        this.unenforced = List.copyOf(unenforced);
        this.tools = request != null && request.usesTools() ? new ToolStream(formats, request.tools()) : null;
    }

    /**
     * A chat generation.
     *
     * @param formats how the model may write tool calls in its text, its own format first (for forced calls, the
     *                grammar of that first format closes a call cut short); at least one
     */
    public static Generation chat(Generation raw, ChatRequest request, List<ToolCallFormat> formats) {
        return chat(raw, request, formats, List.of());
    }

    /**
     * A chat generation whose output followed a grammar that left {@code unenforced} to validation (what
     * {@link #unenforcedAssertions()} reports to core).
     *
     * @param formats how the model may write tool calls in its text, its own format first; at least one
     */
    public static Generation chat(Generation raw, ChatRequest request, List<ToolCallFormat> formats,
                                  List<SchemaAssertion> unenforced) {
        if (formats.isEmpty()) {
            throw new IllegalArgumentException("at least one tool-call format");
        }
        return new TextGeneration(raw, request.options().stopSequences(), request, List.copyOf(formats), unenforced);
    }

    /** A raw completion: stop sequences only. */
    public static Generation completion(Generation raw, GenerationOptions options) {
        return new TextGeneration(raw, options.stopSequences(), null, List.of(), List.of());
    }

    @Override
    public List<SchemaAssertion> unenforcedAssertions() {
        return unenforced;
    }

    @Override
    public int promptTokens() {
        return raw.promptTokens();
    }

    @Override
    public GenerationEvent next() {
        while (pending.isEmpty()) {
            if (finished) {
                throw new IllegalStateException("the generation has finished");
            }
            GenerationEvent event = raw.next();
            if (event instanceof GenerationEvent.Text t) {
                text(stops.feed(t.text()), t.tokens());
                if (stops.stopped()) {
                    finish(FinishReason.STOP, null, null);
                }
            } else if (event instanceof GenerationEvent.CallDelta c) {
                structuredCall(c);
            } else {
                GenerationEvent.Finished f = (GenerationEvent.Finished) event;
                finish(f.reason(), f.usage().orElse(null), f.reportedSpeed().orElse(null));
            }
        }
        return pending.poll();
    }

    private void text(String text, int tokens) {
        generated.append(text);
        if (tools == null) {
            pending.add(new GenerationEvent.Text(text, tokens));
            return;
        }
        ToolStream.Emission e = tools.feed(text);
        pending.add(new GenerationEvent.Text(e.text(), tokens));
        e.deltas().forEach(d -> pending.add(new GenerationEvent.CallDelta(renumbered(d, textIndexes), 0)));
    }

    /** Calls stream in the order they start, wherever they come from: each gets the next index. */
    private ToolCallDelta renumbered(ToolCallDelta d, Map<Integer, Integer> indexes) {
        int index = indexes.computeIfAbsent(d.index(), k -> textIndexes.size() + structuredIndexes.size());
        return index == d.index() ? d : new ToolCallDelta(index, d.id(), d.name(), d.arguments());
    }

    private void structuredCall(GenerationEvent.CallDelta c) {
        ToolCallDelta d = renumbered(c.delta(), structuredIndexes);
        String[] call = structured.computeIfAbsent(d.index(), k -> new String[] {"", ""});
        call[0] += d.name();
        call[1] += d.arguments();
        lastStructured = d.index();
        pending.add(d == c.delta() ? c : new GenerationEvent.CallDelta(d, c.tokens()));
    }

    private void finish(FinishReason reason, Usage usage, Timings reportedSpeed) {
        if (reason != FinishReason.CANCELLED) {
            String tail = stops.flush();
            text(tail, 0);
            if (reason == FinishReason.LENGTH && closesJson()) {
                closeJson();
            }
            if (tools != null) {
                ToolStream.Finish done = tools.finish();
                if (!done.text().isEmpty()) {
                    pending.add(new GenerationEvent.Text(done.text(), 0));
                }
                done.deltas().forEach(d -> pending.add(new GenerationEvent.CallDelta(renumbered(d, textIndexes), 0)));
                if (done.incomplete()) {
                    reason = FinishReason.LENGTH;
                } else if (done.called() || !structured.isEmpty() && reason == FinishReason.STOP) {
                    reason = FinishReason.TOOL_CALLS;
                }
            }
        }
        GenerationEvent.Finished end = usage == null ? GenerationEvent.Finished.of(reason)
                : GenerationEvent.Finished.of(reason, usage);
        pending.add(reportedSpeed == null ? end : end.withReportedSpeed(reportedSpeed));
        finished = true;
    }

    private boolean closesJson() {
        return request != null && request.truncationPolicy() == TruncationPolicy.CLOSE_JSON;
    }

    /**
     * Closes the JSON that was cut short: a call the server reported in pieces, with its tool's parameters; else
     * the reply, with the grammar the request constrains it to (calls in the model's format when it forces one).
     */
    private void closeJson() {
        if (lastStructured >= 0) {
            int index = lastStructured;
            String[] call = structured.get(index);
            request.tools().stream().filter(t -> t.name().equals(call[0])).findFirst().map(ToolSpec::parameters)
                    .map(Grammars::forClosing).flatMap(g -> closing(g, call[1]))
                    .ifPresent(c -> pending.add(new GenerationEvent.CallDelta(new ToolCallDelta(index, "", "", c), 0)));
            return;
        }
        Grammars.forClosing(request, formats.get(0)).flatMap(g -> closing(g, generated))
                .ifPresent(c -> text(c, 0));
    }

    private static java.util.Optional<String> closing(Grammar grammar, CharSequence text) {
        return grammar.start().advance(text).map(GrammarState::shortestCompletion).filter(c -> !c.isEmpty());
    }

    @Override
    public void cancel() {
        raw.cancel();
    }

    @Override
    public void close() {
        raw.close();
    }
}
