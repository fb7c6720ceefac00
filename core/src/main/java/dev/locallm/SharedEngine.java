package dev.locallm;

import dev.locallm.spi.ChatEngine;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A loaded {@link ChatEngine} shared by a model and all its views, with the generations running on it, so
 * that closing the model can cancel them before the engine goes away. Thread-safe.
 */
final class SharedEngine {
    private final ChatEngine engine;
    private final Set<GenerationRun> running = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();

    SharedEngine(ChatEngine engine) {
        this.engine = engine;
    }

    ChatEngine engine() {
        return engine;
    }

    void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException("the model is closed");
        }
    }

    void register(GenerationRun run) {
        running.add(run);
        if (closed.get()) {
            run.cancel(GenerationRun.CancelCause.MODEL_CLOSED);
        }
    }

    void unregister(GenerationRun run) {
        running.remove(run);
    }

    /** Cancels every running generation, then closes the engine. Only the first call has an effect. */
    void close() {
        if (closed.compareAndSet(false, true)) {
            for (GenerationRun run : running) {
                run.cancel(GenerationRun.CancelCause.MODEL_CLOSED);
            }
            engine.close();
        }
    }
}
