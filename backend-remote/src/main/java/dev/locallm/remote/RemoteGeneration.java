package dev.locallm.remote;

import dev.locallm.chat.FinishReason;
import dev.locallm.chat.Timings;
import dev.locallm.chat.Usage;
import dev.locallm.error.LocalLmException;
import dev.locallm.error.StreamInterruptedException;
import dev.locallm.openai.ChatCompletions;
import dev.locallm.openai.ChunkStreamReader;
import dev.locallm.openai.StreamedChunk;
import dev.locallm.spi.Generation;
import dev.locallm.spi.GenerationEvent;
import dev.locallm.tool.ToolCallDelta;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.atomic.AtomicBoolean;
import tools.jackson.core.JacksonException;

/**
 * One streamed completion from a remote server, turned into the SPI's generation events: text deltas become
 * {@link GenerationEvent.Text}, structured tool-call deltas {@link GenerationEvent.CallDelta}s with the server's
 * call ids (each streamed chunk counts as one token until the server's usage says otherwise). Calls a server left
 * in its text are recovered by the {@code TextGeneration} that {@link RemoteChatEngine} wraps this in.
 * The stream ends at {@code [DONE]}, or at the end of the body or a stall once a finish reason was seen; any
 * other end is a {@link StreamInterruptedException} with the text received so far. Threading as
 * {@link Generation} requires: one consumer, {@link #cancel()} from anywhere.
 */
final class RemoteGeneration implements Generation {
    private final EventStream stream;
    private final boolean rawCompletion;
    private final int estimatedPromptTokens;
    private final long readTimeoutNanos;
    private final long deadlineNanos;
    private final Runnable release;
    private final WireLog wire;
    private final AtomicBoolean released = new AtomicBoolean();
    private final Deque<GenerationEvent> pending = new ArrayDeque<>();
    private final StringBuilder received = new StringBuilder();
    private final ChunkStreamReader chunks = new ChunkStreamReader();
    private String finishReason;
    private Usage usage;
    private Timings reportedSpeed;
    private volatile boolean finished;
    private volatile boolean cancelled;
    /** The server's index of the call being streamed, or -1. */
    private int callIndex = -1;
    /** How many calls have been passed on: the next call's index in the events. */
    private int calls;
    /** Whether the call being streamed has been passed on (its name is known). */
    private boolean callOpen;
    private String pendingId = "";
    private String pendingArguments = "";

    RemoteGeneration(EventStream stream, boolean rawCompletion, int estimatedPromptTokens, long readTimeoutNanos,
            long deadlineNanos, WireLog wire, Runnable release) {
        this.wire = wire;
        this.stream = stream;
        this.estimatedPromptTokens = estimatedPromptTokens;
        this.rawCompletion = rawCompletion;
        this.readTimeoutNanos = readTimeoutNanos;
        this.deadlineNanos = deadlineNanos;
        this.release = release;
    }

    /** The server's count, or an estimate from the prompt's length when it reports no usage. */
    @Override
    public int promptTokens() {
        return usage == null ? estimatedPromptTokens : usage.promptTokens();
    }

    @Override
    public GenerationEvent next() {
        while (pending.isEmpty()) {
            if (cancelled) {
                return end(GenerationEvent.Finished.of(FinishReason.CANCELLED));
            }
            SseParser.Event event;
            try {
                event = stream.next(readTimeoutNanos, deadlineNanos);
            } catch (EventStream.Stalled s) {
                if (finishReason != null) {
                    stream.cancel();
                    return finish();
                }
                throw interrupted(s.why == EventStream.Stop.TOTAL_TIMEOUT ? "the total timeout passed"
                        : "the server sent nothing for " + readTimeoutNanos / 1_000_000 + " ms", null);
            } catch (IOException e) {
                if (cancelled) {
                    continue;
                }
                throw interrupted("the connection failed: " + e.getMessage(), e);
            } catch (LocalLmException e) {
                throw interrupted(e.getMessage(), e);
            }
            if (event == null) {
                if (cancelled || stream.cancelled()) {
                    cancelled = true;
                    continue;
                }
                if (finishReason != null) {
                    return finish();
                }
                throw interrupted("the stream ended before the server finished its reply", null);
            }
            if (wire.enabled()) {
                wire.event(event.text());
            }
            if (event.type().equals("error")) {
                LocalLmException error = ServerErrors.of(500, event.text().strip().getBytes(StandardCharsets.UTF_8));
                throw interrupted("the server sent an error: " + error.getMessage(), error);
            }
            if (event.isDone()) {
                stream.drain();
                return finish();
            }
            if (event.isBlank()) {
                continue;
            }
            StreamedChunk chunk;
            try {
                chunk = chunks.read(event.bytes(), event.offset(), event.length());
            } catch (JacksonException e) {
                throw interrupted("the server sent an event that is not JSON: " + e.getOriginalMessage(), e);
            } catch (IllegalArgumentException e) {
                throw interrupted("the server sent an event that is not a JSON object: " + abbreviate(event.text()),
                        e);
            }
            if (chunk.error().isPresent()) {
                LocalLmException error = ServerErrors.of(500, chunk.error().get(), event.text());
                throw interrupted("the server sent an error: " + error.getMessage(), error);
            }
            read(chunk);
        }
        return pending.poll();
    }

    private void read(StreamedChunk chunk) {
        chunk.usage().ifPresent(u -> usage = u);
        chunk.timings().ifPresent(t -> reportedSpeed = t);
        text(chunk.text());
        if (!rawCompletion) {
            chunk.toolCalls().forEach(this::toolCallDelta);
        }
        chunk.finishReason().ifPresent(r -> finishReason = r);
    }

    /**
     * One tool-call delta as the server sent it. A call (a new server index, or a name when the server sends no
     * indexes) is passed on once its name is known, with its id; argument pieces follow.
     */
    private void toolCallDelta(ToolCallDelta call) {
        int index = call.index() >= 0 ? call.index()
                : callIndex < 0 ? 0 : callOpen && call.name().isEmpty() ? callIndex : callIndex + 1;
        if (index != callIndex) {
            callIndex = index;
            callOpen = false;
            pendingId = "";
            pendingArguments = "";
        }
        if (!callOpen) {
            if (!call.id().isEmpty()) {
                pendingId = call.id();
            }
            if (call.name().isEmpty()) {
                pendingArguments += call.arguments();
                return;
            }
            callOpen = true;
            pending.add(new GenerationEvent.CallDelta(new ToolCallDelta(calls++, pendingId, call.name(),
                    pendingArguments + call.arguments()), 1));
            return;
        }
        if (!call.arguments().isEmpty()) {
            pending.add(new GenerationEvent.CallDelta(new ToolCallDelta(calls - 1, "", "", call.arguments()), 1));
        }
    }

    private void text(String text) {
        if (!text.isEmpty()) {
            received.append(text);
            pending.add(new GenerationEvent.Text(text, 1));
        }
    }

    private GenerationEvent finish() {
        FinishReason reason = ChatCompletions.finishReason(finishReason == null ? "stop" : finishReason);
        if (reason == FinishReason.TOOL_CALLS && calls == 0) {
            reason = FinishReason.STOP;
        }
        GenerationEvent.Finished end = usage == null ? GenerationEvent.Finished.of(reason)
                : GenerationEvent.Finished.of(reason, usage);
        pending.add(reportedSpeed == null ? end : end.withReportedSpeed(reportedSpeed));
        finished = true;
        releaseOnce();
        return pending.poll();
    }

    private GenerationEvent end(GenerationEvent.Finished event) {
        finished = true;
        releaseOnce();
        return event;
    }

    private StreamInterruptedException interrupted(String why, Throwable cause) {
        finished = true;
        stream.cancel();
        releaseOnce();
        return new StreamInterruptedException("The stream from the server broke off: " + why, received.toString(),
                cause);
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 80) + "...";
    }

    /** Stops the stream and closes its connection; nothing to do once the reply has finished. */
    @Override
    public void cancel() {
        if (!finished) {
            cancelled = true;
            stream.cancel();
        }
    }

    @Override
    public void close() {
        if (!finished) {
            cancel();
        }
        releaseOnce();
    }

    private void releaseOnce() {
        if (released.compareAndSet(false, true)) {
            release.run();
        }
    }
}
