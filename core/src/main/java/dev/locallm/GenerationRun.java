package dev.locallm;

import dev.locallm.chat.AssistantMessage;
import dev.locallm.chat.ChatChunk;
import dev.locallm.chat.ChatResponse;
import dev.locallm.chat.FinishReason;
import dev.locallm.chat.Timings;
import dev.locallm.chat.Usage;
import dev.locallm.error.GenerationCancelledException;
import dev.locallm.spi.Generation;
import dev.locallm.spi.GenerationEvent;
import dev.locallm.tool.ToolCall;
import dev.locallm.tool.ToolCallDelta;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Drives one {@link Generation}: turns its events into chunks, adds up the text and the tool calls, counts tokens,
 * measures timings and assembles the response. {@link #nextChunk()} is called by one consumer thread at a time;
 * {@link #cancel} from any thread. The generation is closed exactly once, by whichever of the consumer or a
 * canceller gets there while no {@code next()} is in progress.
 */
final class GenerationRun {

    /** Why a run was cancelled, for the caller's message. */
    enum CancelCause { STREAM_CLOSED, INTERRUPTED, MODEL_CLOSED, HANDLER_FAILED }

    /** One tool call as its deltas add up. */
    private static final class Call {
        final String id;
        final String name;
        final StringBuilder arguments = new StringBuilder();

        Call(String id, String name) {
            this.id = id;
            this.name = name;
        }
    }

    private final Generation generation;
    private final long startNanos;
    private final Runnable onClose;
    private final ReentrantLock consumer = new ReentrantLock();
    private final StringBuilder text = new StringBuilder();
    private final List<Call> calls = new ArrayList<>();

    private volatile CancelCause cancelCause;
    private boolean finished;
    private boolean closed;
    private int completionTokens;
    private long firstTokenNanos;
    private long lastTokenNanos;
    private ChatResponse response;

    GenerationRun(Generation generation, long startNanos, Runnable onClose) {
        this.generation = generation;
        this.startNanos = startNanos;
        this.onClose = onClose;
    }

    /**
     * The next chunk, or {@code null} once the last chunk has been returned. Blocks for the next event.
     * Checks the calling thread's interrupt flag between events and cancels when it is set; the flag stays set.
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
                    return finish(GenerationEvent.Finished.of(FinishReason.CANCELLED));
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
                    count(t.tokens());
                    if (!t.text().isEmpty()) {
                        text.append(t.text());
                        return ChatChunk.ofText(t.text());
                    }
                } else if (event instanceof GenerationEvent.CallDelta c) {
                    count(c.tokens());
                    return ChatChunk.of("", List.of(add(c.delta())));
                } else {
                    return finish((GenerationEvent.Finished) event);
                }
            }
        } finally {
            consumer.unlock();
        }
    }

    private void count(int tokens) {
        if (tokens > 0) {
            lastTokenNanos = System.nanoTime();
            if (completionTokens == 0) {
                firstTokenNanos = lastTokenNanos;
            }
            completionTokens += tokens;
        }
    }

    /** Adds a delta to its call; a call the engine gave no id gets one here, on its first delta. */
    private ToolCallDelta add(ToolCallDelta delta) {
        if (delta.index() == calls.size()) {
            String id = delta.id().isEmpty() ? "call_" + UUID.randomUUID().toString().replace("-", "").substring(0, 24)
                    : delta.id();
            calls.add(new Call(id, delta.name()));
            calls.get(delta.index()).arguments.append(delta.arguments());
            return id.equals(delta.id()) ? delta : new ToolCallDelta(delta.index(), id, delta.name(), delta.arguments());
        }
        if (delta.index() < 0 || delta.index() > calls.size()) {
            throw new IllegalStateException("the backend sent a tool-call delta for call " + delta.index() + " after "
                    + calls.size() + " call(s): deltas of a new call must come in order");
        }
        calls.get(delta.index()).arguments.append(delta.arguments());
        return delta;
    }

    private ChatChunk finish(GenerationEvent.Finished end) {
        FinishReason reason = cancelCause != null ? FinishReason.CANCELLED : end.reason();
        List<ToolCall> made = calls.stream().map(c -> new ToolCall(c.id, c.name, c.arguments.toString())).toList();
        if (reason == FinishReason.STOP && !made.isEmpty()) {
            reason = FinishReason.TOOL_CALLS;
        }
        long endNanos = System.nanoTime();
        Usage usage = end.usage().orElseGet(() -> Usage.of(generation.promptTokens(), completionTokens));
        Timings.Builder timings = Timings.builder().total(Duration.ofNanos(endNanos - startNanos));
        if (completionTokens > 0) {
            timings.timeToFirstToken(Duration.ofNanos(firstTokenNanos - startNanos));
        }
        if (completionTokens > 1 && lastTokenNanos > firstTokenNanos) {
            timings.decodeTokensPerSecond((completionTokens - 1) * 1e9 / (lastTokenNanos - firstTokenNanos));
        }
        Timings measured = timings.build();
        response = ChatResponse.builder().message(new AssistantMessage(text.toString(), made)).finishReason(reason)
                .usage(usage).timings(end.reportedSpeed().map(measured::withReportedSpeed).orElse(measured))
                .validatedAssertions(generation.unenforcedAssertions()).build();
        finished = true;
        closeGeneration();
        return ChatChunk.last("", response);
    }

    /**
     * Cancels the run; safe from any thread, idempotent. When no consumer is inside {@link #nextChunk()} (or
     * the caller is the consumer), the generation is freed at once; otherwise the consumer frees it when its
     * current event arrives.
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

    /** The error for a run that was cancelled before it finished, saying why. */
    GenerationCancelledException cancelledError() {
        CancelCause cause = cancelCause;
        String why = cause == CancelCause.INTERRUPTED ? "the calling thread was interrupted"
                : cause == CancelCause.MODEL_CLOSED ? "the model was closed"
                : cause == CancelCause.STREAM_CLOSED ? "the stream was closed"
                : "it was cancelled";
        return new GenerationCancelledException("Generation cancelled because " + why, textSoFar());
    }

    /** Text generated so far. */
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
