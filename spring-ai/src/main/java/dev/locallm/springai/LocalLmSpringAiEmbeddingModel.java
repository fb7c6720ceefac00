package dev.locallm.springai;

import dev.locallm.LocalLm;
import dev.locallm.error.InvalidRequestException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import org.springframework.ai.document.Document;
import org.springframework.ai.embedding.Embedding;
import org.springframework.ai.embedding.EmbeddingModel;
import org.springframework.ai.embedding.EmbeddingOptions;
import org.springframework.ai.embedding.EmbeddingRequest;
import org.springframework.ai.embedding.EmbeddingResponse;

/**
 * A LocaLLM embedding model as a Spring AI {@link EmbeddingModel}, for Spring AI's vector stores and RAG advisors.
 * Thread-safe. Built from a URI, it owns the model and {@link #close()} closes it; built around a model, its owner
 * closes it.
 */
public final class LocalLmSpringAiEmbeddingModel implements EmbeddingModel, AutoCloseable {
    private final dev.locallm.EmbeddingModel model;
    private final boolean owned;
    private final AtomicBoolean closed = new AtomicBoolean();

    private LocalLmSpringAiEmbeddingModel(dev.locallm.EmbeddingModel model, boolean owned) {
        this.model = model;
        this.owned = owned;
    }

    /** A LocaLLM embedding model loaded from its URI, closed with this one. */
    public static LocalLmSpringAiEmbeddingModel of(String modelUri) {
        return new LocalLmSpringAiEmbeddingModel(LocalLm.embeddingModel(Objects.requireNonNull(modelUri)), true);
    }

    /** A LocaLLM embedding model already loaded; its owner closes it. */
    public static LocalLmSpringAiEmbeddingModel wrapping(dev.locallm.EmbeddingModel model) {
        return new LocalLmSpringAiEmbeddingModel(Objects.requireNonNull(model), false);
    }

    /**
     * Embeds each input, in order.
     *
     * @throws InvalidRequestException when the options ask for other dimensions than the model's, or an input is
     *     empty
     */
    @Override
    public EmbeddingResponse call(EmbeddingRequest request) {
        EmbeddingOptions options = request.getOptions();
        if (options != null && options.getDimensions() != null && options.getDimensions() != model.dimension()) {
            throw new InvalidRequestException("this model's embeddings have " + model.dimension()
                    + " dimensions, not " + options.getDimensions(), "dimensions");
        }
        List<float[]> vectors = model.embedAll(request.getInstructions());
        List<Embedding> embeddings = new ArrayList<>(vectors.size());
        for (int i = 0; i < vectors.size(); i++) {
            embeddings.add(new Embedding(vectors.get(i), i));
        }
        return new EmbeddingResponse(embeddings);
    }

    /**
     * Embeds a document's text.
     *
     * @throws InvalidRequestException for a document without text (media)
     */
    @Override
    public float[] embed(Document document) {
        String text = getEmbeddingContent(document);
        if (text == null) {
            throw new InvalidRequestException("document " + document.getId() + " has no text to embed", "document");
        }
        return model.embed(text);
    }

    @Override
    public int dimensions() {
        return model.dimension();
    }

    /** The LocaLLM model behind this one. */
    public dev.locallm.EmbeddingModel localLmModel() {
        return model;
    }

    /** Closes the LocaLLM model when this one loaded it; idempotent. */
    @Override
    public void close() {
        if (owned && closed.compareAndSet(false, true)) {
            model.close();
        }
    }
}
