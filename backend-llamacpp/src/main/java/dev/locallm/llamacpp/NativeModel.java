package dev.locallm.llamacpp;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaIterator;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.LlamaOutput;
import dev.locallm.error.GenerationCancelledException;
import dev.locallm.error.GenerationException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One loaded llama.cpp model (a {@link LlamaModel}) with the rules that keep native code safe:
 *
 * <ul>
 *   <li>Every native call runs under the read side of a lock; {@link #close()} takes the write side, so the
 *       native model is deleted only when no thread is inside it, and never used afterwards.
 *   <li>At most {@code parallel} tasks are in the native queue at once (a fair semaphore of slots): llama.cpp
 *       then never defers a task, so a cancelled task never resurfaces later, and waiting happens in Java where
 *       it can be interrupted.
 *   <li>A task is cancelled only by the thread that receives its tokens: the binding's receive call waits
 *       forever for a task cancelled under it.
 * </ul>
 *
 * <p>Thread-safe. Shared by engines through {@link SharedModels}, which closes it when its last user is gone.
 */
final class NativeModel {
    private static final Logger LOG = LoggerFactory.getLogger(NativeModel.class);
    private static final long CLOSE_WAIT_MILLIS = 30_000;

    private final LlamaModel model;
    private final String description;
    private final int parallel;
    private final boolean embeddings;
    private final Semaphore slots;
    private final ReentrantReadWriteLock nativeLock = new ReentrantReadWriteLock();
    private final Set<LlamaGeneration> active = ConcurrentHashMap.newKeySet();
    private volatile boolean closing;
    private boolean closed;

    NativeModel(LlamaModel model, String description, int parallel, boolean embeddings) {
        this.model = model;
        this.description = description;
        this.parallel = parallel;
        this.embeddings = embeddings;
        this.slots = new Semaphore(parallel, true);
    }

    String description() {
        return description;
    }

    boolean isClosing() {
        return closing;
    }

    /** Runs a native call, or returns {@code null} without calling when the model is closed. */
    <T> T call(Supplier<T> nativeCall) {
        nativeLock.readLock().lock();
        try {
            return closed ? null : nativeCall.get();
        } finally {
            nativeLock.readLock().unlock();
        }
    }

    /** Tokenizes text as the completion call will (special tokens parsed, no BOS added). */
    int[] encode(String text) {
        int[] tokens = call(() -> model.encode(text));
        if (tokens == null) {
            throw closedError();
        }
        return tokens;
    }

    /** Waits for a free slot. */
    void acquireSlot() {
        if (closing) {
            throw closedError();
        }
        try {
            slots.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GenerationCancelledException("Interrupted while waiting for a free llama.cpp slot", "");
        }
        if (closing) {
            slots.release();
            throw closedError();
        }
    }

    void releaseSlot() {
        slots.release();
    }

    /** Submits a completion task; the caller holds a slot. */
    LlamaIterator startCompletion(InferenceParameters parameters) {
        LlamaIterator iterator;
        try {
            iterator = call(() -> model.generate(parameters).iterator());
        } catch (RuntimeException e) {
            throw translate("starting a completion", e);
        }
        if (iterator == null) {
            throw closedError();
        }
        return iterator;
    }

    float[] embed(String text) {
        float[] vector;
        try {
            vector = call(() -> model.embed(text));
        } catch (RuntimeException e) {
            throw translate("computing an embedding", e);
        }
        if (vector == null) {
            throw closedError();
        }
        return vector;
    }

    void register(LlamaGeneration generation) {
        active.add(generation);
    }

    void unregister(LlamaGeneration generation) {
        active.remove(generation);
    }

    /** The binding's native errors as {@link GenerationException}; anything else unchanged. */
    RuntimeException translate(String what, RuntimeException e) {
        return BindingErrors.isNative(e)
                ? new GenerationException("llama.cpp failed " + what + " on " + description + ": " + e.getMessage(), e)
                : e;
    }

    private GenerationCancelledException closedError() {
        return new GenerationCancelledException("The model " + description + " was closed", "");
    }

    /**
     * Cancels every task, waits until the native queue is idle, then deletes the native model. Called once,
     * by {@link SharedModels} when the last engine using this model closes. When the tasks do not end within
     * 30 seconds, the native model is left alive (leaked) rather than deleted under a running task.
     */
    void close() {
        closing = true;
        long deadline = System.currentTimeMillis() + CLOSE_WAIT_MILLIS;
        int held = 0;
        try {
            while (held < parallel && System.currentTimeMillis() < deadline) {
                for (LlamaGeneration g : active) {
                    g.cancelFromOtherThread();
                }
                if (slots.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                    held++;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (held < parallel) {
            LOG.error("Generations on {} did not end within {} s; leaving the native model allocated",
                    description, CLOSE_WAIT_MILLIS / 1000);
            return;
        }
        flushNativeQueue();
        nativeLock.writeLock().lock();
        try {
            model.close();
            closed = true;
        } finally {
            nativeLock.writeLock().unlock();
        }
        LOG.debug("Closed {}", description);
    }

    /**
     * Sends a one-token task through the native queue and waits for it: the queue is first-in first-out, so
     * when it returns every earlier cancellation has been processed and every slot released.
     */
    private void flushNativeQueue() {
        try {
            if (embeddings) {
                call(() -> model.embed("flush"));
            } else {
                LlamaIterator probe = call(() -> model.generate(new InferenceParameters("").setNPredict(1)
                        .setCachePrompt(false)).iterator());
                while (probe != null && probe.hasNext()) {
                    LlamaOutput out = call(probe::next);
                    if (out == null) {
                        break;
                    }
                }
            }
            Thread.sleep(20);
        } catch (RuntimeException e) {
            LOG.debug("Flushing the native queue of {} failed: {}", description, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
