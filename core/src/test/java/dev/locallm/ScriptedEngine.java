package dev.locallm;

import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.FinishReason;
import dev.locallm.chat.ModelCapabilities;
import dev.locallm.spi.ChatEngine;
import dev.locallm.spi.Generation;
import dev.locallm.spi.GenerationEvent;
import dev.locallm.tool.ToolCallDelta;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A backend that replays a fixed list of tokens as text, one per {@code next()}, optionally waiting for a permit
 * before each token so that tests control timing. Records what core asked of it. Shared with other modules'
 * tests through core's test jar.
 */
public final class ScriptedEngine implements ChatEngine {
    final List<String> tokens;
    /** Replies for later requests: request n (from 1) replays {@code later.get(n - 1)} when there is one. */
    public final List<List<String>> later = new CopyOnWriteArrayList<>();
    public volatile int repairAttempts;
    public final Semaphore permits;
    /** Released once each time a generation has started. */
    final Semaphore started = new Semaphore(0);
    public final List<ChatRequest> requests = new CopyOnWriteArrayList<>();
    /** Tool-call deltas sent after the tokens, one event each. */
    public final List<ToolCallDelta> calls = new CopyOnWriteArrayList<>();
    public final AtomicInteger generationsClosed = new AtomicInteger();
    public final AtomicInteger engineClosed = new AtomicInteger();
    volatile boolean closed;

    public ScriptedEngine(List<String> tokens, boolean gated) {
        this.tokens = tokens;
        this.permits = gated ? new Semaphore(0) : null;
    }

    @Override
    public ModelCapabilities capabilities() {
        return ModelCapabilities.builder("scripted", "test").contextLength(64).build();
    }

    @Override
    public int repairAttempts() {
        return repairAttempts;
    }

    @Override
    public Generation start(ChatRequest request) {
        requests.add(request);
        int n = requests.size() - 1;
        List<String> tokens = n > 0 && n <= later.size() ? later.get(n - 1) : this.tokens;
        started.release();
        return new Generation() {
            private int index;
            private volatile boolean cancelled;

            @Override
            public int promptTokens() {
                return 3;
            }

            @Override
            public GenerationEvent next() {
                if (permits != null && !cancelled && !closed) {
                    permits.acquireUninterruptibly();
                }
                if (cancelled || closed) {
                    return GenerationEvent.Finished.of(FinishReason.CANCELLED);
                }
                int max = request.options().maxTokens().orElse(Integer.MAX_VALUE);
                if (index >= max) {
                    return GenerationEvent.Finished.of(FinishReason.LENGTH);
                }
                if (index >= tokens.size() + calls.size()) {
                    return GenerationEvent.Finished.of(FinishReason.STOP);
                }
                int at = index++;
                return at < tokens.size() ? new GenerationEvent.Text(tokens.get(at), 1)
                        : new GenerationEvent.CallDelta(calls.get(at - tokens.size()), 1);
            }

            @Override
            public void cancel() {
                cancelled = true;
                if (permits != null) {
                    permits.release();
                }
            }

            @Override
            public void close() {
                generationsClosed.incrementAndGet();
            }
        };
    }

    @Override
    public void close() {
        closed = true;
        engineClosed.incrementAndGet();
        if (permits != null) {
            permits.release(1000);
        }
    }
}
