package dev.locallm.server;

import dev.locallm.ChatModel;
import dev.locallm.chat.ChatChunk;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.ChatResponse;
import dev.locallm.chat.GenerationOptions;
import dev.locallm.stream.ChatStream;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * The real model, consumed at a slow pace: each streamed chunk is delivered after a pause, so generations hold
 * their slot long enough for lifecycle tests (disconnects, queueing, draining). The tokens are the model's own.
 *
 * <p>A {@link Gate} makes the tests independent of timing: while it holds, a stream that has delivered a given
 * number of chunks waits before its next one, so a test knows for certain that a generation is running (and
 * that it cannot end) until it releases the gate. The gate also counts how streams end: run to their last
 * chunk, or closed before it (cancelled).
 */
final class PacedChatModel extends ForwardingChatModel {
    private final Duration pause;
    private final Gate gate;

    PacedChatModel(ChatModel model, Duration pause, Gate gate) {
        super(model);
        this.pause = pause;
        this.gate = gate;
    }

    /**
     * Where paced streams wait, and how they ended. Thread-safe. Waits for a state give up (with an
     * {@link AssertionError}) after {@link Eventually#LIMIT}, which only a hang reaches.
     */
    static final class Gate {
        private int holdAfter = -1;
        private long releases;
        private int waiting;
        private int cancelled;
        private int finished;

        /**
         * From now until {@link #release()}, a stream that has delivered {@code chunks} chunks waits before its
         * next one.
         */
        synchronized void holdAfter(int chunks) {
            holdAfter = chunks;
        }

        /** Lets every waiting stream go on, and stops holding. */
        synchronized void release() {
            holdAfter = -1;
            releases++;
            notifyAll();
        }

        /** Waits until {@code streams} streams wait at the gate. */
        synchronized void awaitWaiting(int streams) throws InterruptedException {
            awaitState(streams + " streams waiting at the gate", () -> waiting == streams);
        }

        /** Waits until {@code streams} streams have ended (cancelled or finished) since the gate was made. */
        synchronized void awaitEnded(int streams) throws InterruptedException {
            awaitState(streams + " streams ended", () -> cancelled + finished >= streams);
        }

        /** Streams closed before their last chunk: the generations a client's departure or a shutdown cut. */
        synchronized int cancelled() {
            return cancelled;
        }

        /** Streams that delivered their last chunk. */
        synchronized int finished() {
            return finished;
        }

        private void awaitState(String what, BooleanSupplier state) throws InterruptedException {
            long deadline = System.nanoTime() + Eventually.LIMIT.toNanos();
            while (!state.getAsBoolean()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("Not within " + Eventually.LIMIT.toSeconds() + " s: " + what
                            + " (waiting " + waiting + ", cancelled " + cancelled + ", finished " + finished + ")");
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
        }

        /** Called by a stream before it delivers a chunk, after {@code delivered} others. */
        private synchronized void pass(int delivered) {
            if (holdAfter < 0 || delivered < holdAfter) {
                return;
            }
            long release = releases;
            waiting++;
            notifyAll();
            try {
                while (releases == release) {
                    wait();
                }
            } catch (InterruptedException e) {
                // a stopping thread pool interrupts its threads: stop holding this one, so that it can end
                Thread.currentThread().interrupt();
            } finally {
                waiting--;
                notifyAll();
            }
        }

        private synchronized void ended(boolean exhausted) {
            if (exhausted) {
                finished++;
            } else {
                cancelled++;
            }
            notifyAll();
        }
    }

    @Override
    public ChatStream chatStream(ChatRequest request) {
        ChatStream stream = model.chatStream(request);
        AtomicBoolean exhausted = new AtomicBoolean();
        AtomicBoolean closed = new AtomicBoolean();
        return new ChatStream() {
            @Override
            public Iterator<ChatChunk> iterator() {
                Iterator<ChatChunk> inner = stream.iterator();
                return new Iterator<>() {
                    private int delivered;

                    @Override
                    public boolean hasNext() {
                        boolean more = inner.hasNext();
                        if (!more) {
                            exhausted.set(true);
                        }
                        return more;
                    }

                    @Override
                    public ChatChunk next() {
                        gate.pass(delivered);
                        try {
                            Thread.sleep(pause.toMillis());
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        delivered++;
                        return inner.next();
                    }
                };
            }

            @Override
            public Stream<ChatChunk> stream() {
                return StreamSupport.stream(spliterator(), false).onClose(this::close);
            }

            @Override
            public ChatResponse response() {
                return stream.response();
            }

            @Override
            public void close() {
                if (closed.compareAndSet(false, true)) {
                    stream.close();
                    gate.ended(exhausted.get());
                }
            }
        };
    }

    @Override
    public ChatResponse chat(ChatRequest request) {
        try (ChatStream s = chatStream(request)) {
            s.forEach(chunk -> { });
            return s.response();
        }
    }

    @Override
    public ChatModel with(GenerationOptions defaults) {
        return new PacedChatModel(model.with(defaults), pause, gate);
    }
}
