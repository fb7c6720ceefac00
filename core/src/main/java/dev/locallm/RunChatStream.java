package dev.locallm;

import dev.locallm.chat.ChatChunk;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.ChatResponse;
import dev.locallm.chat.FinishReason;
import dev.locallm.error.ContextLengthExceededException;
import dev.locallm.error.StructuredOutputException;
import dev.locallm.error.TruncatedOutputException;
import dev.locallm.stream.ChatStream;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pull stream over a {@link GenerationRun}. A chat's finished response is checked against the request's
 * response format and tools; when the caller asks only for the {@link #response()} (it has seen no chunk), a
 * reply that fails the check is generated again ({@link ReplyAttempts}), each attempt in a run of its own.
 */
final class RunChatStream implements ChatStream {
    private static final Logger LOG = LoggerFactory.getLogger(RunChatStream.class);
    /** The chat request, or {@code null} for a raw completion (nothing to check). */
    private final ChatRequest request;
    private final Function<ChatRequest, GenerationRun> start;
    private final UnaryOperator<ChatRequest> resolve;
    private final int repairs;
    private final AtomicBoolean iterated = new AtomicBoolean();
    private volatile GenerationRun run;
    private volatile boolean closed;

    /** A raw completion's stream. */
    RunChatStream(GenerationRun run) {
        this(run, null, null, null, 0);
    }

    /**
     * A chat's stream.
     *
     * @param start   starts a run for another attempt's request
     * @param resolve layers the model's default options under a request's own
     * @param repairs how many times a reply may be re-asked ({@link dev.locallm.spi.ChatEngine#repairAttempts()})
     */
    RunChatStream(GenerationRun run, ChatRequest request, Function<ChatRequest, GenerationRun> start,
                  UnaryOperator<ChatRequest> resolve, int repairs) {
        this.run = run;
        this.request = request;
        this.start = start;
        this.resolve = resolve;
        this.repairs = repairs;
    }

    @Override
    public Iterator<ChatChunk> iterator() {
        if (!iterated.compareAndSet(false, true)) {
            throw new IllegalStateException("a ChatStream can be iterated only once");
        }
        return new Iterator<>() {
            private ChatChunk next;
            private boolean done;

            @Override
            public boolean hasNext() {
                if (next != null) {
                    return true;
                }
                if (done || closed) {
                    return false;
                }
                next = run.nextChunk();
                if (next == null) {
                    done = true;
                } else if (next.isLast()) {
                    done = true;
                    return true;
                }
                return next != null && !closed;
            }

            @Override
            public ChatChunk next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                ChatChunk chunk = next;
                next = null;
                return chunk;
            }
        };
    }

    @Override
    public Stream<ChatChunk> stream() {
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(iterator(),
                Spliterator.ORDERED | Spliterator.NONNULL), false).onClose(this::close);
    }

    @Override
    public ChatResponse response() {
        if (iterated.compareAndSet(false, true)) {
            return attempts();
        }
        ChatResponse response = finished();
        if (request != null) {
            StructuredOutput.check(request, response);
        }
        return response;
    }

    /** Runs attempts until one passes its check, or none is left. */
    private ChatResponse attempts() {
        ReplyAttempts attempts = new ReplyAttempts(repairs);
        ChatRequest attempt = request;
        StructuredOutputException failed = null;
        while (true) {
            ChatResponse response;
            try {
                response = finished();
            } catch (ContextLengthExceededException overflow) {
                throw failed == null ? overflow : attempts.notAskedAgain(failed, overflow);
            }
            if (request == null) {
                return response;
            }
            try {
                StructuredOutput.check(request, response);
                return attempts.accepted(response);
            } catch (TruncatedOutputException e) {
                throw e;
            } catch (StructuredOutputException e) {
                failed = e;
                ChatRequest next = attempts.next(attempt, resolve.apply(attempt), response, e);
                if (next == null) {
                    LOG.debug("The reply failed its check and no attempt is left: {}", e.getMessage());
                    throw attempts.exhausted(e);
                }
                LOG.debug("The reply failed its check ({}); {}", e.getMessage(), next.messages().size()
                        > attempt.messages().size() ? "re-asking with the errors" : "sampling it again");
                attempt = next;
                try {
                    run = start.apply(next);
                } catch (ContextLengthExceededException overflow) {
                    throw attempts.notAskedAgain(e, overflow);
                }
                if (closed) {
                    run.cancel(GenerationRun.CancelCause.STREAM_CLOSED);
                }
            }
        }
    }

    /**
     * The current run's response once its chunks are drained (those no caller read), or the error for a run that
     * did not finish.
     */
    private ChatResponse finished() {
        ChatChunk chunk;
        while (!closed && (chunk = run.nextChunk()) != null && !chunk.isLast()) {
            // drain
        }
        ChatResponse response = run.response();
        if (response == null || response.finishReason() == FinishReason.CANCELLED) {
            throw run.cancelledError();
        }
        return response;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            run.cancel(GenerationRun.CancelCause.STREAM_CLOSED);
        }
    }
}
