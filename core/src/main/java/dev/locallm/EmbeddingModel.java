package dev.locallm;

import java.util.List;

/**
 * A loaded model that turns text into vectors.
 *
 * <pre>{@code
 * try (EmbeddingModel model = LocalLm.embeddingModel("gguf:/models/nomic-embed-text-v1.5.Q8_0.gguf")) {
 *     float[] vector = model.embed("LocaLLM runs models in the JVM");
 * }
 * }</pre>
 *
 * <p>Thread-safe. Holds native memory until {@link #close()}; a second close does nothing and any other call
 * after close throws {@link IllegalStateException}.
 */
public interface EmbeddingModel extends AutoCloseable {

    /** The embedding of one text, as a new array of {@link #dimension()} floats owned by the caller. */
    float[] embed(String text);

    /** The embeddings of several texts, in the same order. */
    List<float[]> embedAll(List<String> texts);

    /** Length of every vector this model returns. */
    int dimension();

    @Override
    void close();
}
