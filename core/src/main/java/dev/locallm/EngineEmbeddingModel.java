package dev.locallm;

import dev.locallm.EmbeddingModel;
import dev.locallm.error.InvalidRequestException;
import dev.locallm.spi.EmbeddingEngine;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/** The {@link EmbeddingModel} core builds around a backend's {@link EmbeddingEngine}. Thread-safe. */
final class EngineEmbeddingModel implements EmbeddingModel {
    private final EmbeddingEngine engine;
    private final AtomicBoolean closed = new AtomicBoolean();

    private EngineEmbeddingModel(EmbeddingEngine engine) {
        this.engine = engine;
    }

    static EmbeddingModel create(EmbeddingEngine engine) {
        return new EngineEmbeddingModel(engine);
    }

    @Override
    public float[] embed(String text) {
        Objects.requireNonNull(text, "text");
        ensureOpen();
        if (text.isEmpty()) {
            throw new InvalidRequestException("cannot embed an empty text", "input");
        }
        return engine.embed(text);
    }

    @Override
    public List<float[]> embedAll(List<String> texts) {
        List<float[]> vectors = new ArrayList<>(texts.size());
        for (String text : texts) {
            vectors.add(embed(text));
        }
        return vectors;
    }

    @Override
    public int dimension() {
        ensureOpen();
        return engine.dimension();
    }

    private void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException("the model is closed");
        }
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            engine.close();
        }
    }
}
