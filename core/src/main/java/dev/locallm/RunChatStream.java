package dev.locallm;

import dev.locallm.chat.ChatChunk;
import dev.locallm.chat.ChatResponse;
import dev.locallm.chat.FinishReason;
import dev.locallm.error.GenerationCancelledException;
import dev.locallm.stream.ChatStream;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/** The pull stream over one {@link GenerationRun}. */
final class RunChatStream implements ChatStream {
    private final GenerationRun run;
    private final Consumer<ChatResponse> check;
    private final AtomicBoolean iterated = new AtomicBoolean();
    private volatile boolean closed;

    /** @param check verifies the finished response (structured output); throws when it is not acceptable */
    RunChatStream(GenerationRun run, Consumer<ChatResponse> check) {
        this.run = run;
        this.check = check;
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
        if (!iterated.get()) {
            iterator().forEachRemaining(chunk -> { });
        } else {
            ChatChunk chunk;
            while (!closed && (chunk = run.nextChunk()) != null && !chunk.isLast()) {
                // drain what the caller's iterator left
            }
        }
        ChatResponse response = run.response();
        if (response == null || response.finishReason() == FinishReason.CANCELLED) {
            throw new GenerationCancelledException("Generation cancelled before it finished: "
                    + (closed ? "the stream was closed" : "the model was closed or the thread interrupted"),
                    run.textSoFar());
        }
        check.accept(response);
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
