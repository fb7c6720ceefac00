package dev.locallm.llamacpp;

import dev.locallm.error.GenerationException;
import dev.locallm.spi.EmbeddingEngine;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

/** Embeddings from a GGUF model loaded with embeddings enabled. Thread-safe. */
final class LlamaCppEmbeddingEngine implements EmbeddingEngine {
    private final LoadedGguf loaded;
    private final int dimension;
    private final AtomicBoolean closed = new AtomicBoolean();

    private LlamaCppEmbeddingEngine(LoadedGguf loaded) {
        this.loaded = loaded;
        this.dimension = loaded.gguf().embeddingLength().orElse(0);
    }

    static LlamaCppEmbeddingEngine open(Path path, LlamaCppOptions options) {
        return new LlamaCppEmbeddingEngine(LoadedGguf.open(path, options, true));
    }

    @Override
    public float[] embed(String text) {
        NativeModel model = loaded.model();
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
