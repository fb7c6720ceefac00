package dev.locallm.llamacpp;

import dev.locallm.error.GenerationCancelledException;
import dev.locallm.error.ModelBusyException;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One native model at a time, for the binding's stock library. There, two models of one process running at once (a
 * chat model and an embedding model of a server, say) corrupt the chat model's sampling, and a grammar-constrained
 * request then aborts the JVM in llama.cpp's grammar sampler ("Unexpected empty grammar stack after accepting piece";
 * reproduced in seconds by forced tool calls beside embeddings, never with the two kept apart). Generations and
 * embeddings of the same model still run together; those of another model wait until none runs, first come first
 * served, so neither side starves. A wait longer than {@value #WAIT_SECONDS} s ends in a {@link ModelBusyException}
 * rather than a hang (a thread that embeds while it reads a stream of another model would otherwise wait for
 * itself). LocaLLM's own builds ({@code backend-llamacpp/native}) do not show the corruption and skip all this.
 * Thread-safe.
 */
final class ModelExclusion {
    /** The process's exclusion, shared by every native model on the stock library. */
    static final ModelExclusion PROCESS = new ModelExclusion(true);
    /** No exclusion: every lease at once (LocaLLM's builds). */
    static final ModelExclusion NONE = new ModelExclusion(false);
    /** How long a model waits for others to stop before giving up. */
    static final long WAIT_SECONDS = 120;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<Object> waiting = new ArrayDeque<>();
    private final boolean enabled;
    private Object current;
    private int active;

    ModelExclusion(boolean enabled) {
        this.enabled = enabled;
    }

    /** {@link #PROCESS} on the binding's stock library (or any library not built by LocaLLM), else {@link #NONE}. */
    static ModelExclusion forLoadedLibrary() {
        return NativeLibrary.isLocalLmBuild() ? NONE : PROCESS;
    }

    /** A model's turn, held until {@link #close()}; closing twice gives it back once. */
    final class Lease implements AutoCloseable {
        private boolean held = true;

        @Override
        public void close() {
            if (!enabled) {
                return;
            }
            lock.lock();
            try {
                if (held) {
                    held = false;
                    if (--active == 0) {
                        current = null;
                    }
                    changed.signalAll();
                }
            } finally {
                lock.unlock();
            }
        }
    }

    /**
     * Waits until {@code model} may run: no other model runs and no other model waits ahead of this call.
     *
     * @throws ModelBusyException           when other models ran for {@value #WAIT_SECONDS} s
     * @throws GenerationCancelledException when the thread is interrupted while it waits
     */
    Lease enter(Object model) {
        return enter(model, TimeUnit.SECONDS.toNanos(WAIT_SECONDS));
    }

    /** {@link #enter(Object)} with a wait of at most {@code nanos}. */
    Lease enter(Object model, long nanos) {
        if (!enabled) {
            return new Lease();
        }
        Object ticket = new Object[] {model};
        lock.lock();
        try {
            waiting.add(ticket);
            long left = nanos;
            try {
                while (waiting.peek() != ticket || (active > 0 && current != model)) {
                    if (left <= 0) {
                        waiting.remove(ticket);
                        changed.signalAll();
                        throw new ModelBusyException("Another llama.cpp model of this process ran for "
                                + TimeUnit.NANOSECONDS.toSeconds(nanos) + " s: on the binding's stock library LocaLLM "
                                + "runs one model at a time, as two at once corrupt its sampling; send the request "
                                + "again, or use a LocaLLM native build (backend-llamacpp/native), which runs them "
                                + "together", null);
                    }
                    left = changed.awaitNanos(left);
                }
            } catch (InterruptedException e) {
                waiting.remove(ticket);
                changed.signalAll();
                Thread.currentThread().interrupt();
                throw new GenerationCancelledException("Interrupted while another llama.cpp model ran", "");
            }
            waiting.poll();
            current = model;
            active++;
            changed.signalAll();
            return new Lease();
        } finally {
            lock.unlock();
        }
    }
}
