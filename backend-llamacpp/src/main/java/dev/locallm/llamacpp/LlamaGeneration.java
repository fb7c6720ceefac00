package dev.locallm.llamacpp;

import de.kherud.llama.LlamaIterator;
import de.kherud.llama.LlamaOutput;
import dev.locallm.chat.FinishReason;
import dev.locallm.error.ModelBusyException;
import dev.locallm.spi.Generation;
import dev.locallm.spi.GenerationEvent;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One completion task in llama.cpp, streamed token by token through the binding's iterator.
 *
 * <p>The binding gives no finish reason, so it is derived: llama.cpp sends one message per sampled token
 * (an end-of-generation token arrives as an empty one), then a final message. A generation whose last token
 * was empty ended its turn ({@code STOP}); any other ran out of tokens ({@code nPredict}, set from
 * {@code maxTokens} or the room left in the context) and is cut short ({@code LENGTH}). Characters split over several byte tokens arrive as one message, so the
 * completion count can be lower than llama.cpp's own for such text.
 *
 * <p>When llama.cpp fails the task because its KV cache had no contiguous room for a batch (see
 * {@link NativeModel}) before this generation produced a token, the slots' cached cells are cleared and the task
 * is submitted again, once. A generation that had produced tokens, or that fails again, ends in a
 * {@link ModelBusyException} and has the cells cleared before the next lease; a cancelled one just ends.
 *
 * <p>{@link #next()} and {@link #close()} run on the consumer thread under {@code consumer}; {@link #cancel()}
 * only sets a flag; the model's closer may cancel natively through {@link #cancelFromOtherThread()} when no
 * consumer is inside {@code next()}.
 */
final class LlamaGeneration implements Generation {
    /** Submits the task again after the KV cache was cleared, unless that was done since {@code seenEvictions}. */
    interface Resubmission {
        LlamaIterator afterEviction(long seenEvictions);
    }

    private final NativeModel model;
    private final int promptTokens;
    private final Resubmission resubmission;
    private final Runnable onEnd;
    private final long evictionsAtStart;
    private LlamaIterator iterator;
    private boolean resubmitted;
    private boolean produced;
    private final ReentrantLock consumer = new ReentrantLock();
    private final AtomicBoolean ended = new AtomicBoolean();
    private volatile boolean cancelRequested;
    private boolean nativeDone;
    private FinishReason finishReason;
    private boolean lastTokenEmpty;

    LlamaGeneration(NativeModel model, LlamaIterator iterator, int promptTokens, Resubmission resubmission,
                    Runnable onEnd) {
        this.model = model;
        this.iterator = iterator;
        this.promptTokens = promptTokens;
        this.resubmission = resubmission;
        this.onEnd = onEnd;
        this.evictionsAtStart = model.evictions();
    }

    @Override
    public int promptTokens() {
        return promptTokens;
    }

    @Override
    public GenerationEvent next() {
        consumer.lock();
        try {
            if (nativeDone) {
                return GenerationEvent.Finished.of(finishReason);
            }
            if (cancelRequested || model.isClosing()) {
                cancelNative();
                return GenerationEvent.Finished.of(FinishReason.CANCELLED);
            }
            LlamaOutput out = receive();
            if (out == null) {
                end(FinishReason.CANCELLED);
                return GenerationEvent.Finished.of(FinishReason.CANCELLED);
            }
            if (!iterator.hasNext()) {
                end(lastTokenEmpty ? FinishReason.STOP : FinishReason.LENGTH);
                return GenerationEvent.Finished.of(finishReason);
            }
            lastTokenEmpty = out.text.isEmpty();
            produced = true;
            return new GenerationEvent.Text(out.text, 1);
        } finally {
            consumer.unlock();
        }
    }

    private LlamaOutput receive() {
        while (true) {
            try {
                return model.call(iterator::next);
            } catch (RuntimeException e) {
                if (!BindingErrors.isFullCache(e)) {
                    end(FinishReason.CANCELLED);
                    throw model.translate("generating", e);
                }
                if (cancelRequested || model.isClosing()) {
                    end(FinishReason.CANCELLED);
                    return null;
                }
                if (produced || resubmitted) {
                    model.requestEviction(model.evictions());
                    end(FinishReason.CANCELLED);
                    throw new ModelBusyException(fullCacheMessage(), e);
                }
                resubmitted = true;
                try {
                    iterator = resubmission.afterEviction(evictionsAtStart);
                } catch (RuntimeException retry) {
                    end(FinishReason.CANCELLED);
                    throw retry;
                }
                if (cancelRequested || model.isClosing()) {
                    cancelNative();
                    return null;
                }
            }
        }
    }

    private String fullCacheMessage() {
        return produced
                ? "llama.cpp stopped this generation on " + model.description() + " because a batch found no "
                        + "contiguous room in the KV cache the slots share; the cache is cleared before the next "
                        + "request, so this one can be sent again"
                : "llama.cpp found no room in the KV cache of " + model.description() + " for this prompt of "
                        + promptTokens + " tokens even after clearing the cached prompts; requests running beside it "
                        + "hold the rest. Retry, or load the model with fewer parallel slots or a larger context";
    }

    @Override
    public void cancel() {
        cancelRequested = true;
    }

    /**
     * Cancels natively from a thread that is not the consumer, when no consumer is inside {@link #next()};
     * otherwise the consumer does it when its current token arrives.
     */
    void cancelFromOtherThread() {
        cancelRequested = true;
        if (consumer.tryLock()) {
            try {
                cancelNative();
            } finally {
                consumer.unlock();
            }
        }
    }

    @Override
    public void close() {
        consumer.lock();
        try {
            cancelNative();
        } finally {
            consumer.unlock();
        }
    }

    private void cancelNative() {
        if (nativeDone) {
            return;
        }
        try {
            model.call(() -> {
                iterator.cancel();
                return Boolean.TRUE;
            });
        } finally {
            end(FinishReason.CANCELLED);
        }
    }

    private void end(FinishReason reason) {
        nativeDone = true;
        finishReason = reason;
        if (ended.compareAndSet(false, true)) {
            onEnd.run();
        }
    }
}
