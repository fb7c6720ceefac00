package dev.locallm.internal;

import dev.locallm.chat.AssistantMessage;
import dev.locallm.chat.ChatChunk;
import dev.locallm.chat.ChatResponse;
import dev.locallm.chat.FinishReason;
import dev.locallm.chat.Timings;
import dev.locallm.chat.Usage;
import dev.locallm.grammar.Grammar;
import dev.locallm.grammar.GrammarState;
import dev.locallm.tool.ToolCall;
import dev.locallm.tool.ToolCallDelta;
import dev.locallm.spi.Generation;
import dev.locallm.spi.GenerationEvent;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Drives one {@link Generation}: applies stop sequences, counts tokens, measures timings and assembles the
 * response. {@link #nextChunk()} is called by one consumer thread at a time; {@link #cancel()} from any
 * thread. The generation is closed exactly once, by whichever of the consumer or a canceller gets there
 * while no {@code next()} is in progress.
 */
final class GenerationRun {

    /** Why a run was cancelled, for the caller's message. */
    enum CancelCause { STREAM_CLOSED, INTERRUPTED, MODEL_CLOSED, HANDLER_FAILED }

    /**
     * The clock is read at each of the first this many tokens, then at every this many: on a fast stream reading
     * it costs as much as the rest of a token's handling. The decode rate is measured up to the last reading.
     */
    private static final int CLOCK_EVERY = 16;

    private final Generation generation;
    private final StopSequenceMatcher stops;
    private final long startNanos;
    private final Runnable onClose;
    private final Grammar closeWith;
    private final ToolStream tools;
    private final ReentrantLock consumer = new ReentrantLock();
    /** The reply text (tool calls removed). */
    private final StringBuilder text = new StringBuilder();
    /**
     * Everything generated, after stop sequences and before tool calls are taken out; kept only with tools
     * (without them it is {@link #text}).
     */
    private final StringBuilder raw;

    private volatile CancelCause cancelCause;
    private boolean finished;
    private boolean closed;
    private int completionTokens;
    private long firstTokenNanos;
    /** When the {@link #timedTokens}th token came: see {@link #CLOCK_EVERY}. */
    private long lastTokenNanos;
    private int timedTokens;
    private ChatResponse response;

    /**
     * @param closeWith when not {@code null}, text cut short by the token limit is completed with the shortest
     *                  text this grammar allows ({@link dev.locallm.chat.TruncationPolicy#CLOSE_JSON})
     * @param tools     when not {@code null}, separates tool calls from the text
     */
    GenerationRun(Generation generation, List<String> stopSequences, long startNanos, Runnable onClose,
                  Grammar closeWith, ToolStream tools) {
        this.generation = generation;
        this.stops = new StopSequenceMatcher(stopSequences);
        this.startNanos = startNanos;
        this.onClose = onClose;
        this.closeWith = closeWith;
        this.tools = tools;
        this.raw = tools == null ? null : new StringBuilder();
    }

    /**
     * The next chunk, or {@code null} once the last chunk has been returned. Blocks for the next token.
     * Checks the calling thread's interrupt flag between tokens and cancels when it is set; the flag stays set.
     */
    ChatChunk nextChunk() {
        consumer.lock();
        try {
            if (finished) {
                return null;
            }
            while (true) {
                if (Thread.currentThread().isInterrupted() && cancelCause == null) {
                    cancel(CancelCause.INTERRUPTED);
                }
                if (closed) {
                    return finish(FinishReason.CANCELLED, "", List.of(), null);
                }
                GenerationEvent event;
                try {
                    event = generation.next();
                } catch (RuntimeException e) {
                    finished = true;
                    closeGeneration();
                    throw e;
                }
                if (event instanceof GenerationEvent.Text t) {
                    String emit = onText(t);
                    List<ToolCallDelta> deltas = List.of();
                    if (tools != null) {
                        ToolStream.Emission e = tools.feed(emit);
                        text.setLength(text.length() - emit.length());
                        text.append(e.text());
                        emit = e.text();
                        deltas = e.deltas();
                    }
                    if (stops.stopped()) {
                        return finish(FinishReason.STOP, emit, deltas, null);
                    }
                    if (!emit.isEmpty() || !deltas.isEmpty()) {
                        return ChatChunk.of(emit, deltas);
                    }
                } else {
                    GenerationEvent.Finished f = (GenerationEvent.Finished) event;
                    FinishReason reason = cancelCause != null ? FinishReason.CANCELLED : f.reason();
                    String tail = reason == FinishReason.CANCELLED ? "" : stops.flush();
                    if (reason == FinishReason.LENGTH && closeWith != null) {
                        CharSequence generated = raw != null ? raw.append(tail) : new StringBuilder(text).append(tail);
                        tail += closeWith.start().advance(generated).map(GrammarState::shortestCompletion).orElse("");
                    }
                    List<ToolCallDelta> deltas = List.of();
                    if (tools != null && !tail.isEmpty()) {
                        ToolStream.Emission e = tools.feed(tail);
                        tail = e.text();
                        deltas = e.deltas();
                    }
                    return finish(reason, tail, deltas, f.usage().orElse(null));
                }
            }
        } finally {
            consumer.unlock();
        }
    }

    private String onText(GenerationEvent.Text t) {
        if (t.tokens() > 0) {
            boolean first = completionTokens == 0;
            completionTokens += t.tokens();
            if (first || completionTokens <= CLOCK_EVERY || completionTokens - timedTokens >= CLOCK_EVERY) {
                lastTokenNanos = System.nanoTime();
                timedTokens = completionTokens;
                if (first) {
                    firstTokenNanos = lastTokenNanos;
                }
            }
        }
        String emit = stops.feed(t.text());
        if (raw != null) {
            raw.append(emit);
        }
        text.append(emit);
        return emit;
    }

    private ChatChunk finish(FinishReason reason, String tail, List<ToolCallDelta> deltas, Usage reported) {
        text.append(tail);
        List<ToolCall> calls = List.of();
        if (tools != null) {
            ToolStream.Finish done = tools.finish();
            text.append(done.text());
            tail += done.text();
            calls = done.calls();
            if (!calls.isEmpty() && reason != FinishReason.CANCELLED && !done.incomplete()) {
                reason = FinishReason.TOOL_CALLS;
            } else if (done.incomplete() && reason != FinishReason.CANCELLED) {
                reason = FinishReason.LENGTH;
            }
        }
        if (reason == FinishReason.LENGTH && closeWith != null) {
            String closing = closeWith.start().advance(text).map(GrammarState::shortestCompletion).orElse("");
            text.append(closing);
            tail += closing;
        }
        long end = System.nanoTime();
        Usage usage = reported != null ? reported : new Usage(generation.promptTokens(), completionTokens);
        Duration ttft = completionTokens == 0 ? Duration.ZERO : Duration.ofNanos(firstTokenNanos - startNanos);
        double decode = timedTokens < 2 || lastTokenNanos == firstTokenNanos ? 0
                : (timedTokens - 1) * 1e9 / (lastTokenNanos - firstTokenNanos);
        response = new ChatResponse(new AssistantMessage(text.toString(), calls), reason, usage,
                new Timings(ttft, Duration.ofNanos(end - startNanos), decode));
        finished = true;
        closeGeneration();
        return ChatChunk.last(tail, deltas, response);
    }

    /**
     * Cancels the run; safe from any thread, idempotent. When no consumer is inside {@link #nextChunk()} (or
     * the caller is the consumer), the generation is freed at once; otherwise the consumer frees it when its
     * current token arrives.
     */
    void cancel(CancelCause cause) {
        if (cancelCause == null) {
            cancelCause = cause;
        }
        generation.cancel();
        if (consumer.tryLock()) {
            try {
                closeGeneration();
            } finally {
                consumer.unlock();
            }
        }
    }

    private void closeGeneration() {
        if (!closed) {
            closed = true;
            try {
                generation.close();
            } finally {
                onClose.run();
            }
        }
    }

    /** The cause of cancellation, or {@code null} when not cancelled. */
    CancelCause cancelCause() {
        return cancelCause;
    }

    /** Text generated so far (after stop-sequence handling). */
    String textSoFar() {
        consumer.lock();
        try {
            return text.toString();
        } finally {
            consumer.unlock();
        }
    }

    /** The response, once the last chunk was returned. */
    ChatResponse response() {
        return response;
    }
}
