package dev.locallm.remote;

import dev.locallm.error.GenerationException;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The body of a streaming response, read as server-sent events by one consumer thread that waits with a
 * timeout: the JDK client pushes byte buffers into a queue, at most {@link #PREFETCH} batches ahead (so memory
 * stays bounded), and {@link #next} parses them. {@link #cancel()} may be called from any thread and wakes a waiting reader.
 */
final class EventStream implements HttpResponse.BodySubscriber<EventStream> {
    /**
     * Batches of received bytes the JDK client may deliver ahead of the reader: with demand outstanding it keeps
     * reading the socket on its own thread, instead of the reader resuming it after each batch (a quarter of the
     * reader's CPU time in {@code RemoteClientBench}). Bounds what waits unparsed to
     * 16 of the client's buffers (16 KB each by default).
     */
    private static final int PREFETCH = 16;
    /**
     * What may still arrive after the last event before the connection is given up rather than pooled: normally
     * only the end of the chunked body does.
     */
    private static final int DRAIN_BYTES = 64 * 1024;
    private static final long DRAIN_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final Object END = new Object();
    private static final Object CANCELLED = new Object();

    /** What {@link #next} found instead of an event. */
    enum Stop { END, CANCELLED, READ_TIMEOUT, TOTAL_TIMEOUT }

    /** Thrown by {@link #next} when the stream stalled or ran past its deadline. */
    static final class Stalled extends Exception {
        private static final long serialVersionUID = 1L;
        final Stop why;

        Stalled(Stop why) {
            super(why.name(), null, false, false);
            this.why = why;
        }
    }

    private final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    private final SseParser parser;
    /** Set when the server answered a streaming request with one JSON document (it ignored {@code stream}). */
    private final java.io.ByteArrayOutputStream whole;
    private final int maxBytes;
    private final Deque<SseParser.Event> ready = new ArrayDeque<>();
    private byte[] scratch = new byte[0];
    /** The received regions of the current batch (see {@link #load}), and the one being parsed. */
    private byte[][] regionBytes = new byte[1][];
    private int[] regionFrom = new int[1];
    private int[] regionTo = new int[1];
    private int regions;
    private int region;
    private byte[] bytes;
    private int pos;
    private int limit;
    private volatile Flow.Subscription subscription;
    private volatile boolean cancelled;
    /** Whether the body was read to its end (or failed): set by the JDK's thread. */
    private volatile boolean complete;
    /** Whether what still arrives is dropped ({@link #drain}). */
    private volatile boolean draining;
    private int drained;
    private boolean ended;
    private final java.util.concurrent.Executor drainWindow;

    /**
     * @param maxEventBytes the largest event (or whole JSON answer) accepted
     * @param wholeJson     whether the body is one JSON completion rather than events: it is then delivered as
     *                      one event followed by {@code [DONE]}
     */
    EventStream(int maxEventBytes, boolean wholeJson) {
        this(maxEventBytes, wholeJson, CompletableFuture.delayedExecutor(DRAIN_NANOS, TimeUnit.NANOSECONDS));
    }

    /** @param drainWindow runs a task once the time allowed for {@link #drain} has passed */
    EventStream(int maxEventBytes, boolean wholeJson, java.util.concurrent.Executor drainWindow) {
        this.parser = new SseParser(maxEventBytes);
        this.whole = wholeJson ? new java.io.ByteArrayOutputStream() : null;
        this.maxBytes = maxEventBytes;
        this.drainWindow = drainWindow;
    }

    @Override
    public CompletionStage<EventStream> getBody() {
        return CompletableFuture.completedFuture(this);
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
        subscription = s;
        if (cancelled) {
            s.cancel();
        } else {
            s.request(PREFETCH);
        }
    }

    @Override
    public void onNext(List<ByteBuffer> item) {
        if (draining) {
            for (ByteBuffer b : item) {
                drained += b.remaining();
            }
            if (drained > DRAIN_BYTES) {
                cancel();
            } else {
                request(1);
            }
        } else {
            queue.add(item);
        }
    }

    @Override
    public void onError(Throwable throwable) {
        complete = true;
        queue.add(throwable);
    }

    @Override
    public void onComplete() {
        complete = true;
        queue.add(END);
    }

    private void request(long n) {
        Flow.Subscription s = subscription;
        if (s != null && !cancelled) {
            s.request(n);
        }
    }

    /**
     * Lets the rest of the body arrive and drops it, once the last event has been read, so that the JDK client
     * can pool the connection: it keeps one only when its body was read to the end, and cancelling closes it.
     * Servers end the body right after their last event; when more than {@link #DRAIN_BYTES} arrive, or the body
     * has not ended within {@link #DRAIN_NANOS}, the stream is cancelled. Returns at once; the reader's
     * buffers are freed.
     */
    void drain() {
        if (complete || cancelled) {
            return;
        }
        draining = true;
        int unread = 0;
        for (Object item; (item = queue.poll()) != null; ) {
            if (item instanceof List) {
                unread++;
            }
        }
        ready.clear();
        scratch = new byte[0];
        regions = 0;
        bytes = null;
        pos = 0;
        limit = 0;
        if (unread > 0) {
            request(unread);
        }
        if (!complete) {
            drainWindow.execute(() -> {
                if (!complete) {
                    cancel();
                }
            });
        }
    }

    /**
     * The next event; {@code null} at the end of the stream or once cancelled (see {@link #cancelled()}). Its
     * bytes are valid until the next call. Received bytes are parsed one event at a time.
     *
     * @throws Stalled     when no byte came within {@code readTimeoutNanos}, or the deadline passed
     * @throws IOException when the connection failed
     */
    SseParser.Event next(long readTimeoutNanos, long deadlineNanos) throws Stalled, IOException {
        while (ready.isEmpty()) {
            if (pos < limit) {
                pos = parser.feedOne(bytes, pos, limit - pos, ready);
            } else if (region + 1 < regions) {
                enter(region + 1);
            } else if (!receive(readTimeoutNanos, deadlineNanos)) {
                return null;
            }
        }
        return ready.poll();
    }

    /** Waits for the next item from the JDK client and takes it in; false at the end or once cancelled. */
    private boolean receive(long readTimeoutNanos, long deadlineNanos) throws Stalled, IOException {
        if (ended || cancelled) {
            return false;
        }
        long left = deadlineNanos - System.nanoTime();
        if (left <= 0) {
            throw new Stalled(Stop.TOTAL_TIMEOUT);
        }
        Object item;
        try {
            item = queue.poll(Math.min(readTimeoutNanos, left), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            cancel();
            return false;
        }
        if (item == null) {
            throw new Stalled(deadlineNanos - System.nanoTime() <= 0 ? Stop.TOTAL_TIMEOUT : Stop.READ_TIMEOUT);
        }
        if (item == CANCELLED) {
            return false;
        }
        if (item == END) {
            ended = true;
            if (whole != null) {
                ready.add(SseParser.Event.of("message", whole.toByteArray(), ""));
                ready.add(SseParser.Event.of("message", "[DONE]".getBytes(java.nio.charset.StandardCharsets.US_ASCII),
                        ""));
            } else {
                parser.finish(ready);
            }
        } else if (item instanceof Throwable t) {
            ended = true;
            throw t instanceof IOException io ? io : new IOException(t.getMessage(), t);
        } else {
            @SuppressWarnings("unchecked")
            List<ByteBuffer> buffers = (List<ByteBuffer>) item;
            if (whole == null) {
                load(buffers);
            } else {
                for (ByteBuffer b : buffers) {
                    if (whole.size() + b.remaining() > maxBytes) {
                        cancel();
                        throw new dev.locallm.error.GenerationException("The server's answer is larger than "
                                + maxBytes + " bytes");
                    }
                    byte[] copy = new byte[b.remaining()];
                    b.get(copy);
                    whole.write(copy, 0, copy.length);
                }
            }
            request(1);
        }
        return true;
    }

    /**
     * Takes in one batch of buffers as the regions to parse. Buffers with an accessible array are parsed in
     * place (the {@code BodySubscriber} contract: the client no longer uses a buffer it has passed on); the JDK
     * hands out read-only ones, which are copied into {@link #scratch}, reused for each batch: a batch is only
     * taken in once every event of the previous one has been read.
     */
    private void load(List<ByteBuffer> buffers) {
        int total = 0;
        for (ByteBuffer b : buffers) {
            if (!b.hasArray()) {
                total += b.remaining();
            }
        }
        if (scratch.length < total) {
            scratch = new byte[Math.max(total, scratch.length * 2)];
        }
        if (regionBytes.length < buffers.size()) {
            regionBytes = new byte[buffers.size()][];
            regionFrom = new int[buffers.size()];
            regionTo = new int[buffers.size()];
        }
        int filled = 0;
        regions = 0;
        for (ByteBuffer b : buffers) {
            int n = b.remaining();
            if (b.hasArray()) {
                regionBytes[regions] = b.array();
                regionFrom[regions] = b.arrayOffset() + b.position();
                b.position(b.limit());
            } else {
                b.get(scratch, filled, n);
                regionBytes[regions] = scratch;
                regionFrom[regions] = filled;
                filled += n;
            }
            regionTo[regions] = regionFrom[regions] + n;
            regions++;
        }
        if (regions > 0) {
            enter(0);
        }
    }

    private void enter(int r) {
        region = r;
        bytes = regionBytes[r];
        pos = regionFrom[r];
        limit = regionTo[r];
        regionBytes[r] = null;
    }

    /**
     * The whole body of an answer read as one document (an error answer): what arrived before the end, a
     * timeout or the size limit, after which the stream is cancelled.
     */
    byte[] readAll(long readTimeoutNanos, long deadlineNanos) {
        try {
            SseParser.Event event = next(readTimeoutNanos, deadlineNanos);
            if (event != null) {
                return Arrays.copyOfRange(event.bytes(), event.offset(), event.offset() + event.length());
            }
        } catch (Stalled | IOException | dev.locallm.error.GenerationException e) {
            cancel();
        }
        return whole == null ? new byte[0] : whole.toByteArray();
    }

    boolean cancelled() {
        return cancelled;
    }

    /** Whether the JDK client has delivered the end of the body (or its failure). */
    boolean bodyEnded() {
        return complete;
    }

    /** Stops reading and closes the connection; idempotent, thread-safe, non-blocking. */
    void cancel() {
        if (!cancelled) {
            cancelled = true;
            Flow.Subscription s = subscription;
            if (s != null) {
                s.cancel();
            }
            queue.add(CANCELLED);
        }
    }
}
