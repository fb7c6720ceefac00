package dev.locallm.spi;

/**
 * A backend's loaded embedding model. Thread-safe; {@link #close()} is called once, and must be safe while
 * other threads are embedding.
 */
public interface EmbeddingEngine extends AutoCloseable {

    /** The embedding of one text. */
    float[] embed(String text);

    /** Floats in each embedding. */
    int dimension();

    @Override
    void close();
}
