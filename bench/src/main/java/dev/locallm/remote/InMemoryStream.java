package dev.locallm.remote;

import dev.locallm.ChatModel;
import dev.locallm.ModelCapabilities;
import dev.locallm.chat.ChatChunk;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.GenerationOptions;
import dev.locallm.grammar.Grammar;
import dev.locallm.internal.EngineChatModel;
import dev.locallm.spi.ChatEngine;
import dev.locallm.spi.Generation;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import dev.locallm.stream.ChatStream;

/**
 * The remote backend's parse and dispatch alone: a recorded stream is handed to its event reader as the JDK
 * client hands it over (read-only 16 KB buffers), then read through the backend's generation and core's
 * {@code chatStream} on one thread, with no network and no waiting. This class sits in the backend's package
 * to reach its package-private reader; it is a bench harness, not API.
 */
public final class InMemoryStream {
    private static final int BUFFER = 16 * 1024;
    private static final long FAR = TimeUnit.SECONDS.toNanos(60);

    private InMemoryStream() {
    }

    /**
     * Median nanoseconds per token over the second half of {@code rounds} reads of {@code stream} through
     * {@code chatStream} (the first half warms up: the JIT recompiles core's paths for this engine; give 1,000
     * rounds or more).
     */
    public static double nanosPerToken(byte[] stream, int tokens, int rounds) {
        ChatEngine engine = new ChatEngine() {
            @Override
            public ModelCapabilities capabilities() {
                return new ModelCapabilities("m", "in-memory", 0, 1, true, true, false);
            }

            @Override
            public Generation start(ChatRequest request, Optional<Grammar> grammar) {
                return new RemoteGeneration(received(stream), false, 1, FAR, System.nanoTime() + FAR, () -> { });
            }

            @Override
            public void close() {
            }
        };
        ChatModel model = EngineChatModel.create(engine, GenerationOptions.empty());
        ChatRequest request = ChatRequest.of("hi");
        long[] nanos = new long[rounds];
        for (int i = 0; i < rounds; i++) {
            long start = System.nanoTime();
            int chunks = 0;
            try (ChatStream chat = model.chatStream(request)) {
                for (ChatChunk chunk : chat) {
                    chunks++;
                }
            }
            nanos[i] = System.nanoTime() - start;
            if (chunks < tokens) {
                throw new IllegalStateException("expected " + tokens + " chunks, got " + chunks);
            }
        }
        long[] second = Arrays.copyOfRange(nanos, rounds / 2, rounds);
        Arrays.sort(second);
        return second[second.length / 2] / (double) tokens;
    }

    /** The stream as the JDK client delivers it: read-only buffers, then the end. */
    private static EventStream received(byte[] stream) {
        EventStream events = new EventStream(1 << 20, false);
        events.onSubscribe(new Flow.Subscription() {
            @Override
            public void request(long n) {
            }

            @Override
            public void cancel() {
            }
        });
        for (int at = 0; at < stream.length; at += BUFFER) {
            events.onNext(List.of(ByteBuffer.wrap(stream, at, Math.min(BUFFER, stream.length - at)).slice()
                    .asReadOnlyBuffer()));
        }
        events.onComplete();
        return events;
    }
}
