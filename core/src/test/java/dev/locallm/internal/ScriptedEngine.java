package dev.locallm.internal;

import dev.locallm.ModelCapabilities;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.FinishReason;
import dev.locallm.grammar.Grammar;
import dev.locallm.spi.ChatEngine;
import dev.locallm.spi.Generation;
import dev.locallm.spi.GenerationEvent;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A backend that replays a fixed list of tokens, one per {@code next()}, optionally waiting for a permit
 * before each token so that tests control timing. Records what core asked of it.
 */
final class ScriptedEngine implements ChatEngine {
    final List<String> tokens;
    /** Replies for later requests: request n (from 1) replays {@code later.get(n - 1)} when there is one. */
    final List<List<String>> later = new CopyOnWriteArrayList<>();
    volatile int repairAttempts;
    final Semaphore permits;
    /** Released once each time a generation has started. */
    final Semaphore started = new Semaphore(0);
    final List<ChatRequest> requests = new CopyOnWriteArrayList<>();
    final List<Optional<Grammar>> grammars = new CopyOnWriteArrayList<>();
    final AtomicInteger generationsClosed = new AtomicInteger();
    final AtomicInteger engineClosed = new AtomicInteger();
    volatile boolean closed;

    ScriptedEngine(List<String> tokens, boolean gated) {
        this.tokens = tokens;
        this.permits = gated ? new Semaphore(0) : null;
    }

    @Override
    public ModelCapabilities capabilities() {
        return new ModelCapabilities("scripted", "test", 64, 1, true, false, false);
    }

    @Override
    public int repairAttempts() {
        return repairAttempts;
    }

    @Override
    public Generation start(ChatRequest request, Optional<Grammar> grammar) {
        requests.add(request);
        grammars.add(grammar);
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
                if (index >= tokens.size()) {
                    return GenerationEvent.Finished.of(FinishReason.STOP);
                }
                return new GenerationEvent.Text(tokens.get(index++), 1);
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
