package dev.locallm.remote;

import static org.assertj.core.api.Assertions.assertThat;

import dev.locallm.openai.ChatCompletionChunks;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Events are handed out as slices of the received bytes, and read-only buffers (what the JDK client delivers)
 * go through one reused scratch array: whatever the split into batches and buffers, every event reads back
 * exactly as sent. After the last event, the rest of the body is drained so that the JDK client can pool the
 * connection, within bounds.
 */
class EventStreamTest {
    private static final long SECOND = 1_000_000_000L;

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20})
    void eventsReadBackExactlyWhateverTheSplit(long seed) throws Exception {
        Random random = new Random(seed);
        List<String> sent = new ArrayList<>();
        StringBuilder body = new StringBuilder();
        for (int i = 0; i < 200; i++) {
            String data = "{\"choices\":[{\"delta\":{\"content\":\"" + "é".repeat(random.nextInt(3))
                    + "x".repeat(random.nextInt(40)) + i + "\"}}]}";
            sent.add(data);
            body.append(random.nextBoolean() ? "data: " : "data:").append(data)
                    .append(random.nextInt(4) == 0 ? "\r\n\r\n" : "\n\n");
        }
        byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
        EventStream stream = new EventStream(1 << 20, false);
        stream.onSubscribe(new Subscription());
        for (int at = 0; at < bytes.length;) {
            List<ByteBuffer> batch = new ArrayList<>();
            for (int k = 1 + random.nextInt(3); k > 0 && at < bytes.length; k--) {
                int n = Math.min(bytes.length - at, 1 + random.nextInt(100));
                ByteBuffer b = ByteBuffer.wrap(bytes, at, n).slice();
                batch.add(random.nextInt(4) == 0 ? b : b.asReadOnlyBuffer());
                at += n;
            }
            stream.onNext(batch);
        }
        stream.onComplete();
        List<String> received = new ArrayList<>();
        for (SseParser.Event e; (e = stream.next(SECOND, System.nanoTime() + 10 * SECOND)) != null;) {
            received.add(e.text());
            assertThat(e.text()).contains(ChatCompletionChunks.read(e.bytes(), e.offset(), e.length()).text());
        }
        assertThat(received).containsExactlyElementsOf(sent);
    }

    /**
     * Lines that start like an earlier line (the parser skips the bytes they share with it when it looks for
     * the line end) but end anywhere: inside the shared part, right after it, with LF, CR or CRLF, split at
     * random points. Every event reads back exactly.
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
    void linesSharingAPrefixWithEarlierLinesEndWhereTheyEnd(long seed) {
        Random random = new Random(seed);
        String shared = "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"delta\":";
        String[] ends = {"\n", "\r", "\r\n"};
        List<String> sent = new ArrayList<>();
        StringBuilder body = new StringBuilder();
        for (int i = 0; i < 300; i++) {
            int cut = random.nextInt(4) == 0 ? random.nextInt(shared.length()) : shared.length();
            String data = shared.substring(0, cut) + (random.nextBoolean() ? "x".repeat(random.nextInt(20)) : "");
            sent.add(data);
            String end = ends[random.nextInt(ends.length)];
            body.append("data: ").append(data).append(end).append(end);
        }
        byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
        SseParser parser = new SseParser(1 << 20);
        List<SseParser.Event> events = new ArrayList<>();
        for (int at = 0; at < bytes.length;) {
            int n = Math.min(bytes.length - at, 1 + random.nextInt(300));
            parser.feed(Arrays.copyOfRange(bytes, at, at + n), 0, n, events);
            at += n;
        }
        parser.finish(events);
        assertThat(events).extracting(SseParser.Event::text).containsExactlyElementsOf(sent);
    }

    /** Records the demand and cancellation a stream signals to the JDK client. */
    private static final class Subscription implements Flow.Subscription {
        final AtomicLong requested = new AtomicLong();
        final AtomicBoolean cancelled = new AtomicBoolean();

        @Override
        public void request(long n) {
            requested.addAndGet(n);
        }

        @Override
        public void cancel() {
            cancelled.set(true);
        }
    }

    private static List<ByteBuffer> bytes(String s) {
        return List.of(ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8)).asReadOnlyBuffer());
    }

    /** The tasks a stream asked to run once its drain window has passed; run by the test when it says so. */
    private final List<Runnable> drainWindow = new ArrayList<>();

    /** A stream whose {@code [DONE]} event has been read, with one more batch received and not read. */
    private EventStream afterDone(Subscription subscription) throws Exception {
        EventStream stream = new EventStream(1 << 20, false, drainWindow::add);
        stream.onSubscribe(subscription);
        stream.onNext(bytes("data: {\"choices\":[]}\n\ndata: [DONE]\n\n"));
        stream.onNext(bytes(": unread\n\n"));
        assertThat(stream.next(SECOND, System.nanoTime() + 10 * SECOND).text()).isEqualTo("{\"choices\":[]}");
        assertThat(stream.next(SECOND, System.nanoTime() + 10 * SECOND).isDone()).isTrue();
        return stream;
    }

    @Test
    void afterTheLastEventTheRestOfTheBodyIsReadSoTheConnectionCanBePooled() throws Exception {
        Subscription subscription = new Subscription();
        EventStream stream = afterDone(subscription);
        long before = subscription.requested.get();

        stream.drain();
        assertThat(subscription.requested.get()).as("demand for the unread batch").isEqualTo(before + 1);
        stream.onNext(bytes("\n"));
        assertThat(subscription.requested.get()).as("demand for what arrives while draining").isEqualTo(before + 2);
        stream.onComplete();

        drainWindow.forEach(Runnable::run);
        assertThat(subscription.cancelled).as("a body that ended is not cancelled").isFalse();
    }

    @Test
    void drainingGivesUpOnABodyThatKeepsComing() throws Exception {
        Subscription subscription = new Subscription();
        EventStream stream = afterDone(subscription);

        stream.drain();
        for (int i = 0; i < 16 && !subscription.cancelled.get(); i++) {
            stream.onNext(bytes("x".repeat(8192)));
        }
        assertThat(subscription.cancelled).as("cancelled past 64 KB").isTrue();
    }

    @Test
    void drainingGivesUpOnABodyThatDoesNotEnd() throws Exception {
        Subscription subscription = new Subscription();
        EventStream stream = afterDone(subscription);

        stream.drain();
        assertThat(subscription.cancelled).as("not cancelled while the drain window is open").isFalse();
        assertThat(drainWindow).hasSize(1);
        drainWindow.get(0).run();
        assertThat(subscription.cancelled).as("cancelled once the drain window passed").isTrue();
    }
}
