package dev.locallm.llamacpp;

import de.kherud.llama.LlamaIterator;
import de.kherud.llama.LlamaOutput;
import dev.locallm.chat.FinishReason;
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
 * <p>{@link #next()} and {@link #close()} run on the consumer thread under {@code consumer}; {@link #cancel()}
 * only sets a flag; the model's closer may cancel natively through {@link #cancelFromOtherThread()} when no
 * consumer is inside {@code next()}.
 */
final class LlamaGeneration implements Generation {
    private final NativeModel model;
    private final LlamaIterator iterator;
    private final int promptTokens;
    private final Runnable onEnd;
    private final ReentrantLock consumer = new ReentrantLock();
    private final AtomicBoolean ended = new AtomicBoolean();
    private volatile boolean cancelRequested;
    private boolean nativeDone;
    private FinishReason finishReason;
    private boolean lastTokenEmpty;

    LlamaGeneration(NativeModel model, LlamaIterator iterator, int promptTokens, Runnable onEnd) {
        this.model = model;
        this.iterator = iterator;
        this.promptTokens = promptTokens;
        this.onEnd = onEnd;
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
            LlamaOutput out;
            try {
                out = model.call(iterator::next);
            } catch (RuntimeException e) {
                end(FinishReason.CANCELLED);
                throw model.translate("generating", e);
            }
            if (out == null) {
                end(FinishReason.CANCELLED);
                return GenerationEvent.Finished.of(FinishReason.CANCELLED);
            }
            if (!iterator.hasNext()) {
                end(lastTokenEmpty ? FinishReason.STOP : FinishReason.LENGTH);
                return GenerationEvent.Finished.of(finishReason);
            }
            lastTokenEmpty = out.text.isEmpty();
            return new GenerationEvent.Text(out.text, 1);
        } finally {
            consumer.unlock();
        }
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
