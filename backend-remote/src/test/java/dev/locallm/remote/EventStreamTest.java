package dev.locallm.remote;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Flow;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Events are handed out as slices of the received bytes, and read-only buffers (what the JDK client delivers)
 * go through one reused scratch array: whatever the split into batches and buffers, every event reads back
 * exactly as sent, including events that span batches.
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
        stream.onSubscribe(new Flow.Subscription() {
            @Override
            public void request(long n) {
            }

            @Override
            public void cancel() {
            }
        });
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
            DeltaChunk chunk = DeltaChunk.read(e.bytes(), e.offset(), e.length());
            assertThat(chunk).isNotNull();
            assertThat(e.text()).contains(chunk.content);
        }
        assertThat(received).containsExactlyElementsOf(sent);
    }
}
