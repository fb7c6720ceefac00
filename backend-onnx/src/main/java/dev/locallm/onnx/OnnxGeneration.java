package dev.locallm.onnx;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.locallm.chat.FinishReason;
import dev.locallm.error.GenerationException;
import dev.locallm.spi.Generation;
import dev.locallm.spi.GenerationEvent;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One generation's decode loop: the prompt in one step, then one token per {@link #next()}, each step reusing the
 * KV cache of the one before. Every sampled token is one {@link GenerationEvent.Text} (empty while it ends inside a
 * character, and for the end-of-turn token, which counts as llama.cpp counts it); then
 * {@link GenerationEvent.Finished}: {@code STOP} after an end-of-turn token, {@code LENGTH} at {@code maxTokens} or
 * the end of the context, {@code CANCELLED} after {@link #cancel()}. Under a grammar a {@link GrammarMask} masks
 * the logits before each sampling, so that the text follows the grammar (from the first token, or from an opening
 * on); at {@code maxTokens} it may be cut short ({@code LENGTH}), for core's truncation policy.
 *
 * <p>{@link #next()} and {@link #close()} run on the consumer thread under {@code consumer}. {@link #cancel()} only
 * sets a flag and asks ONNX Runtime to end a step in flight ({@code RunOptions.setTerminate}). The engine's closer
 * calls {@link #cancelFromOtherThread()}, which also frees the generation when no consumer is inside
 * {@link #next()}. The cache (the last step's result), the run options, the decode buffers and the slot are freed
 * exactly once.
 */
final class OnnxGeneration implements Generation {
    /** Prompt tokens per step: the logits of a step hold every position's, this many times the vocabulary. */
    static final int PROMPT_CHUNK = 128;
    private final OnnxDecoder decoder;
    private final int[] prompt;
    private final Sampler sampler;
    private final int maxTokens;
    private final int contextLength;
    private final Set<Integer> eos;
    private final StreamingDetokenizer detokenizer;
    /** The grammar's mask, or {@code null} when the output is free. */
    private final GrammarMask mask;
    private final Runnable onEnd;
    private final OrtSession.RunOptions runOptions;
    /** Where ONNX Runtime reads the id and writes the logits of one-token steps; {@code null}: tensors of each step. */
    private final OnnxDecoder.DecodeBuffers decodeBuffers;
    private final Object terminateLock = new Object();
    private boolean runOptionsClosed;
    private final ReentrantLock consumer = new ReentrantLock();
    private final AtomicBoolean ended = new AtomicBoolean();
    private volatile boolean cancelRequested;

    /** ONNX Runtime's run time, all steps. */
    private final LongAdder runNanos = new LongAdder();
    /** Whole decode steps after the prompt (run, tensors, mask, sampling, detokenizing) and the runs within them. */
    private long decodeStepNanos;
    private long decodeRunNanos;
    private OrtSession.Result cache;
    private int cached;
    private int lastToken = -1;
    private int produced;
    private boolean endOfTurn;
    private FinishReason pendingFinish;
    private boolean done;
    private FinishReason finishReason;

    OnnxGeneration(OnnxDecoder decoder, int[] prompt, Sampler sampler, int maxTokens, int contextLength,
                   Set<Integer> eos, StreamingDetokenizer detokenizer, GrammarMask mask, Runnable onEnd)
            throws OrtException {
        this.decoder = decoder;
        this.prompt = prompt;
        this.sampler = sampler;
        this.maxTokens = maxTokens;
        this.contextLength = contextLength;
        this.eos = eos;
        this.detokenizer = detokenizer;
        this.mask = mask;
        this.onEnd = onEnd;
        this.runOptions = new OrtSession.RunOptions();
        try {
            this.decodeBuffers = decoder.decodeBuffers();
        } catch (OrtException | RuntimeException e) {
            runOptions.close();
            throw e;
        }
        for (int token : prompt) {
            sampler.accept(token);
        }
    }

    @Override
    public int promptTokens() {
        return prompt.length;
    }

    @Override
    public GenerationEvent next() {
        consumer.lock();
        try {
            if (done) {
                return GenerationEvent.Finished.of(finishReason);
            }
            if (cancelRequested) {
                return end(FinishReason.CANCELLED);
            }
            if (pendingFinish != null) {
                return end(pendingFinish);
            }
            if (endOfTurn) {
                return finishing(FinishReason.STOP);
            }
            if (produced >= maxTokens || cached + 1 > contextLength) {
                return finishing(FinishReason.LENGTH);
            }
            boolean decoding = cache != null;
            long stepStart = System.nanoTime();
            long runBefore = runNanos.sum();
            float[] logits;
            try {
                logits = forward();
            } catch (OrtException | RuntimeException e) {
                if (cancelRequested) {
                    return end(FinishReason.CANCELLED);
                }
                end(FinishReason.CANCELLED);
                throw new GenerationException("ONNX Runtime failed while generating: " + e.getMessage(), e);
            }
            if (mask != null && mask.apply(logits) == 0) {
                return noTokenFitsTheGrammar();
            }
            int token = sampler.sample(logits);
            if (mask != null) {
                mask.accept(token);
            }
            sampler.accept(token);
            lastToken = token;
            produced++;
            endOfTurn = eos.contains(token);
            GenerationEvent.Text text = new GenerationEvent.Text(endOfTurn ? "" : detokenizer.add(token), 1);
            if (decoding) {
                decodeStepNanos += System.nanoTime() - stepStart;
                decodeRunNanos += runNanos.sum() - runBefore;
            }
            return text;
        } finally {
            consumer.unlock();
        }
    }

    /**
     * Runs the prompt, in chunks of {@value #PROMPT_CHUNK} tokens so that the logits of one step stay small, or the
     * last token, over the cache; keeps the new cache and frees the old; the logits of the last position.
     */
    private float[] forward() throws OrtException {
        if (cache != null) {
            step(new int[] {lastToken});
            if (decodeBuffers != null) {
                return decodeBuffers.logits();
            }
        } else {
            for (int from = 0; from < prompt.length; from += PROMPT_CHUNK) {
                step(Arrays.copyOfRange(prompt, from, Math.min(prompt.length, from + PROMPT_CHUNK)));
            }
        }
        return decoder.lastLogits(cache);
    }

    private void step(int[] tokens) throws OrtException {
        OrtSession.Result result = decoder.step(tokens, cached, cache, runOptions, runNanos, decodeBuffers);
        OrtSession.Result old = cache;
        cache = result;
        cached += tokens.length;
        if (old != null) {
            old.close();
        }
    }

    /**
     * When the grammar allows no token of the vocabulary: the end of the turn when the text is a whole match (a
     * model without end-of-turn ids), else an error (a character the grammar needs that only byte-fallback tokens
     * spell).
     */
    private GenerationEvent noTokenFitsTheGrammar() {
        if (mask.isComplete()) {
            return finishing(FinishReason.STOP);
        }
        end(FinishReason.CANCELLED);
        throw new GenerationException("No token of the vocabulary continues the grammar here (characters that only "
                + "byte-fallback tokens spell are not enforceable yet)");
    }

    /**
     * The share of the decode steps after the prompt that is not ONNX Runtime's run: input tensors, the logits copy,
     * masking, sampling and detokenizing, in Java; 0 before any such step.
     */
    double javaShareOfDecodeSteps() {
        consumer.lock();
        try {
            return decodeStepNanos == 0 ? 0 : 1 - (double) decodeRunNanos / decodeStepNanos;
        } finally {
            consumer.unlock();
        }
    }

    /** Mean mask cost per sampled token in microseconds; 0 without a grammar. */
    double maskMicrosPerToken() {
        consumer.lock();
        try {
            return mask == null ? 0 : mask.meanMicrosPerToken();
        } finally {
            consumer.unlock();
        }
    }

    /** Ends with {@code reason}, after a last piece of text the detokenizer still held, if any. */
    private GenerationEvent finishing(FinishReason reason) {
        String tail = detokenizer.flush();
        if (tail.isEmpty()) {
            return end(reason);
        }
        pendingFinish = reason;
        return new GenerationEvent.Text(tail, 0);
    }

    @Override
    public void cancel() {
        cancelRequested = true;
        synchronized (terminateLock) {
            if (!runOptionsClosed) {
                try {
                    runOptions.setTerminate(true);
                } catch (OrtException e) {
                    // the flag alone ends the loop after the step in flight
                }
            }
        }
    }

    /** Cancels from a thread that is not the consumer, and frees the generation when no consumer is inside it. */
    void cancelFromOtherThread() {
        cancel();
        if (consumer.tryLock()) {
            try {
                if (!done) {
                    end(FinishReason.CANCELLED);
                }
            } finally {
                consumer.unlock();
            }
        }
    }

    @Override
    public void close() {
        consumer.lock();
        try {
            if (!done) {
                end(FinishReason.CANCELLED);
            }
        } finally {
            consumer.unlock();
        }
    }

    private GenerationEvent end(FinishReason reason) {
        done = true;
        finishReason = reason;
        if (ended.compareAndSet(false, true)) {
            try {
                try {
                    if (cache != null) {
                        cache.close();
                        cache = null;
                    }
                } finally {
                    synchronized (terminateLock) {
                        runOptionsClosed = true;
                        runOptions.close();
                    }
                    if (decodeBuffers != null) {
                        decodeBuffers.close();
                    }
                }
            } finally {
                onEnd.run();
            }
        }
        return GenerationEvent.Finished.of(reason);
    }
}
