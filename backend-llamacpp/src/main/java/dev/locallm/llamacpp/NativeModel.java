package dev.locallm.llamacpp;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaIterator;
import de.kherud.llama.LlamaModel;
import dev.locallm.error.GenerationCancelledException;
import dev.locallm.error.GenerationException;
import dev.locallm.error.InvalidRequestException;
import dev.locallm.error.ModelBusyException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
 *   <li>The slots share one KV cache whose cells must be contiguous for each batch of prompt tokens, and an idle
 *       slot keeps the cells of its cached prompt. Generations running side by side interleave their cells, so a
 *       batch (a long prompt, even one token per slot) can find no contiguous run although the cache has room;
 *       llama.cpp b4916 then fails every task in every slot ("Input prompt is too big compared to KV size") and
 *       defragments only caches of 2048 cells or more. {@link #evictPromptCaches} empties every slot's cells,
 *       new leases waiting meanwhile, so that the work can be tried again.
 * </ul>
 *
 * <p>Thread-safe. Shared by engines through {@link SharedModels}, which closes it when its last user is gone.
 */
final class NativeModel {
    private static final Logger LOG = LoggerFactory.getLogger(NativeModel.class);
    private static final long CLOSE_WAIT_MILLIS = 30_000;
    /** Permits {@link #close()} adds so that every request waiting for a slot wakes up and sees it closed. */
    private static final int WAKE_WAITERS = Integer.MAX_VALUE / 2;
    private static final long EVICTION_WAIT_MILLIS = 120_000;
    private static final AtomicLong EVICTIONS_IN_PROCESS = new AtomicLong();

    private final LlamaModel model;
    private final String description;
    private final int parallel;
    private final boolean embeddings;
    private final Semaphore slots;
    private final ReentrantReadWriteLock nativeLock = new ReentrantReadWriteLock();
    private final Set<LlamaGeneration> active = ConcurrentHashMap.newKeySet();
    /** Held while the slots' cells are emptied; every new lease passes through it, so none starts meanwhile. */
    private final Semaphore evictionGate = new Semaphore(1, true);
    private volatile long evictions;
    /** The eviction count seen by a dropped generation that asked for an eviction not run yet; -1 when none. */
    private volatile long evictionRequested = -1;
    private volatile boolean closing;
    private boolean closed;
    /** Keeps this model's native work apart from other models' on the stock library ({@link ModelExclusion}). */
    private final ModelExclusion exclusion = ModelExclusion.forLoadedLibrary();

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

    /**
     * Waits for a free slot; the lease gives it back, once. An eviction a dropped generation asked for runs first
     * (when it cannot, because generations do not end, the lease goes ahead without it).
     */
    SlotLease leaseSlot() {
        long requested = evictionRequested;
        if (requested >= 0) {
            try {
                evictPromptCaches(requested);
            } catch (ModelBusyException e) {
                LOG.debug("The KV cache of {} was not cleared: {}", description, e.getMessage());
            }
        }
        acquireSlot();
        try {
            return new SlotLease(exclusion.enter(this));
        } catch (RuntimeException e) {
            slots.release();
            throw e;
        }
    }

    /** Waits for a free slot, after any eviction under way. */
    private void acquireSlot() {
        if (closing) {
            throw closedError();
        }
        try {
            evictionGate.acquire();
            evictionGate.release();
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

    /**
     * A slot held by one generation, with this model's turn among the process's models: given back once, or given
     * back and taken again around an eviction.
     */
    final class SlotLease {
        private boolean held = true;
        private ModelExclusion.Lease turn;

        private SlotLease(ModelExclusion.Lease turn) {
            this.turn = turn;
        }

        /** Gives the slot and the turn back; later calls do nothing. */
        synchronized void release() {
            if (held) {
                held = false;
                turn.close();
                slots.release();
            }
        }

        /**
         * Gives the slot back, empties every slot's cached cells unless that was done since {@code seenEvictions},
         * and waits for a slot again. On failure the slot is not held.
         */
        void evictAndRetake(long seenEvictions) {
            release();
            evictPromptCaches(seenEvictions);
            acquireSlot();
            ModelExclusion.Lease again;
            try {
                again = exclusion.enter(NativeModel.this);
            } catch (RuntimeException e) {
                slots.release();
                throw e;
            }
            synchronized (this) {
                turn = again;
                held = true;
            }
        }
    }

    /** How many times the slots' caches were emptied; a failure remembers it to evict once, not once per victim. */
    long evictions() {
        return evictions;
    }

    /** How many evictions every model of this process ran. */
    static long evictionsInProcess() {
        return EVICTIONS_IN_PROCESS.get();
    }

    /** Asks for the slots' cells to be emptied before the next lease, for a dropped generation that cannot wait. */
    void requestEviction(long seenEvictions) {
        evictionRequested = seenEvictions;
    }

    /**
     * Empties the cells every slot holds, unless it was done since {@code seenEvictions}: closes the gate to new
     * leases, collects every slot as running generations end (at most {@value #EVICTION_WAIT_MILLIS} ms, else a
     * {@link ModelBusyException}), then runs one one-token task per slot without the prompt cache, which removes
     * that slot's cells. Each task lands on a slot of its own: the binding picks the least recently used idle slot
     * (its prompt-similarity matching is off), and a slot just swept is busy or the most recently used.
     */
    void evictPromptCaches(long seenEvictions) {
        try {
            evictionGate.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GenerationCancelledException("Interrupted while waiting to clear llama.cpp's KV cache", "");
        }
        try {
            if (evictions != seenEvictions) {
                return;
            }
            takeEverySlot();
            try (ModelExclusion.Lease turn = exclusion.enter(this)) {
                sweep();
                evictions++;
                evictionRequested = -1;
                EVICTIONS_IN_PROCESS.incrementAndGet();
            } finally {
                slots.release(parallel);
            }
            LOG.warn("Cleared the KV cache of {}: a batch found no contiguous room among the cells the slots hold "
                    + "(a larger context makes this rarer)", description);
        } finally {
            evictionGate.release();
        }
    }

    /** Collects every slot, keeping each as it comes; on failure gives back those collected. */
    private void takeEverySlot() {
        long deadline = System.currentTimeMillis() + EVICTION_WAIT_MILLIS;
        int held = 0;
        try {
            while (held < parallel) {
                if (closing) {
                    throw closedError();
                }
                if (System.currentTimeMillis() > deadline) {
                    throw new ModelBusyException("Generations on " + description + " did not end within "
                            + EVICTION_WAIT_MILLIS / 1000 + " s, so its KV cache could not be cleared", null);
                }
                if (slots.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                    held++;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GenerationCancelledException("Interrupted while waiting to clear llama.cpp's KV cache", "");
        } finally {
            if (held < parallel) {
                slots.release(held);
            }
        }
    }

    /** Submits a greedy one-token task without the prompt cache; {@code null} when the model is closed. */
    private LlamaIterator oneTokenTask(String prompt) {
        return call(() -> model.generate(new InferenceParameters(prompt).setNPredict(1).setTemperature(0)
                .setCachePrompt(false)).iterator());
    }

    /** Reads a task's results to its end: the task ran and released its slot. */
    private void readToEnd(LlamaIterator task) {
        while (task.hasNext() && call(task::next) != null) {
            // nothing to keep
        }
    }

    /** One one-token task per slot without the prompt cache, each read to its end. */
    private void sweep() {
        List<LlamaIterator> sweeps = new ArrayList<>();
        try {
            for (int i = 0; i < parallel; i++) {
                LlamaIterator sweep = oneTokenTask(".");
                if (sweep == null) {
                    throw closedError();
                }
                sweeps.add(sweep);
            }
        } catch (RuntimeException e) {
            throw translate("clearing the KV cache", e);
        } finally {
            for (LlamaIterator sweep : sweeps) {
                try {
                    readToEnd(sweep);
                } catch (RuntimeException e) {
                    LOG.debug("A KV cache clearing task on {} failed: {}", description, e.toString());
                }
            }
        }
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

    /** Embeds {@code text}; the caller holds a {@link SlotLease}, and with it this model's turn. */
    float[] embed(String text) {
        float[] vector;
        try {
            vector = call(() -> model.embed(text));
        } catch (RuntimeException e) {
            if (BindingErrors.isFullCache(e)) {
                throw new ModelBusyException("llama.cpp found no room in the KV cache of " + description
                        + " for this text beside the requests running with it; send it again", e);
            }
            if (BindingErrors.isNative(e) && e.getMessage() != null && e.getMessage().startsWith("input is ")) {
                throw new InvalidRequestException("llama.cpp refused the text for " + description + ": "
                        + e.getMessage(), "input");
            }
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
     * 30 seconds, the native model is left alive (leaked) rather than deleted under a running task. Then it wakes
     * every request still waiting for a slot, which sees the model closed: before, a request that had checked
     * before the close and waited for a slot waited forever once the close had taken every slot.
     */
    void close() {
        closing = true;
        try {
            closeNative();
        } finally {
            slots.release(WAKE_WAITERS);
        }
    }

    /** Takes every slot as generations end, then deletes the native model; leaks it when they do not end. */
    private void closeNative() {
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
            try (ModelExclusion.Lease turn = exclusion.enter(this)) {
                if (embeddings) {
                    call(() -> model.embed("flush"));
                } else {
                    LlamaIterator probe = oneTokenTask("");
                    if (probe != null) {
                        readToEnd(probe);
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
