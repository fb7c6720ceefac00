package dev.locallm.llamacpp;

import dev.locallm.error.GenerationException;
import dev.locallm.error.InvalidRequestException;
import dev.locallm.spi.EmbeddingEngine;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Embeddings from a GGUF model loaded with embeddings enabled. A text is embedded in one batch, so it may hold at
 * most as many tokens as the batch and the context of one slot; a longer one is an {@link InvalidRequestException}
 * naming both counts (llama.cpp's own refusal says only "increase the physical batch size"). Thread-safe.
 */
final class LlamaCppEmbeddingEngine implements EmbeddingEngine {
    private final LoadedGguf loaded;
    private final int dimension;
    private final int maxTokens;
    private final int specialTokens;
    private final AtomicBoolean closed = new AtomicBoolean();

    private LlamaCppEmbeddingEngine(LoadedGguf loaded) {
        this.loaded = loaded;
        this.dimension = loaded.gguf().embeddingLength().orElse(0);
        this.maxTokens = Math.min(loaded.contextPerSlot(), SharedModels.ubatchSize(loaded.options().batchSize()));
        this.specialTokens = (loaded.gguf().specialTokens().addBos() ? 1 : 0)
                + (loaded.gguf().bool("tokenizer.ggml.add_eos_token").orElse(false) ? 1 : 0);
    }

    static LlamaCppEmbeddingEngine open(Path path, LlamaCppOptions options) {
        return new LlamaCppEmbeddingEngine(LoadedGguf.open(path, options, true));
    }

    @Override
    public float[] embed(String text) {
        NativeModel model = loaded.model();
        int tokens = model.encode(text).length + specialTokens;
        if (tokens > maxTokens) {
            throw new InvalidRequestException("The text has " + tokens + " tokens but " + model.description()
                    + " embeds at most " + maxTokens + " at once (its batch and context); shorten it, or load the "
                    + "model with a larger batch and ctx", "input");
        }
        NativeModel.SlotLease slot = model.leaseSlot();
        try {
            float[] vector = model.embed(text);
            if (dimension > 0 && vector.length != dimension) {
                throw new GenerationException("llama.cpp returned an embedding of " + vector.length
                        + " values for a model of dimension " + dimension);
            }
            return vector;
        } finally {
            slot.release();
        }
    }

    @Override
    public int dimension() {
        return dimension;
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            loaded.release();
        }
    }
}
