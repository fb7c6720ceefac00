package dev.locallm.langchain4j;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.output.Response;
import dev.langchain4j.model.output.TokenUsage;
import dev.locallm.LocalLm;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A LocaLLM embedding model as a LangChain4j {@link EmbeddingModel}, for embedding stores and RAG pipelines: one
 * vector per text segment, in order, with the model's {@link #dimension()}. The token usage is an estimate (about
 * four characters a token), as LocaLLM's embedding models report none.
 *
 * <pre>{@code
 * EmbeddingModel embeddings = LocalLmEmbeddingModel.builder().modelUri("gguf:/models/nomic-embed.gguf").build();
 * }</pre>
 *
 * Thread-safe. {@link #close()} closes the LocaLLM model when this one loaded it from a URI.
 */
public final class LocalLmEmbeddingModel implements EmbeddingModel, AutoCloseable {
    private final dev.locallm.EmbeddingModel model;
    private final boolean owned;
    private final String name;
    private final AtomicBoolean closed = new AtomicBoolean();

    private LocalLmEmbeddingModel(Builder b) {
        if ((b.modelUri == null) == (b.model == null)) {
            throw new IllegalStateException("give either modelUri(...) or embeddingModel(...)");
        }
        this.model = b.model != null ? b.model : LocalLm.embeddingModel(b.modelUri);
        this.owned = b.model == null;
        this.name = b.name != null ? b.name : b.modelUri != null ? b.modelUri : "locallm";
    }

    /** A builder: a model URI or an existing LocaLLM embedding model is required. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public Response<List<Embedding>> embedAll(List<TextSegment> segments) {
        List<String> texts = segments.stream().map(TextSegment::text).toList();
        List<Embedding> vectors = model.embedAll(texts).stream().map(Embedding::from).toList();
        int tokens = texts.stream().mapToInt(t -> Math.max(1, t.length() / 4)).sum();
        return Response.from(vectors, new TokenUsage(tokens, 0));
    }

    @Override
    public int dimension() {
        return model.dimension();
    }

    @Override
    public String modelName() {
        return name;
    }

    @Override
    public ModelProvider provider() {
        return ModelProvider.OTHER;
    }

    /** The LocaLLM model behind this one. */
    public dev.locallm.EmbeddingModel localLmModel() {
        return model;
    }

    @Override
    public void close() {
        if (owned && closed.compareAndSet(false, true)) {
            model.close();
        }
    }

    /** Builds a {@link LocalLmEmbeddingModel}. Not thread-safe. */
    public static final class Builder {
        private String modelUri;
        private dev.locallm.EmbeddingModel model;
        private String name;

        private Builder() {
        }

        /** Loads the embedding model at this LocaLLM URI when built; closing this model closes it. */
        public Builder modelUri(String uri) {
            this.modelUri = Objects.requireNonNull(uri, "uri");
            return this;
        }

        /** Wraps a LocaLLM embedding model already loaded; its owner closes it. */
        public Builder embeddingModel(dev.locallm.EmbeddingModel model) {
            this.model = Objects.requireNonNull(model, "model");
            return this;
        }

        /** The name {@link #modelName()} gives; the URI by default. */
        public Builder modelName(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /**
         * The model.
         *
         * @throws IllegalStateException unless exactly one of a URI and a model was given
         */
        public LocalLmEmbeddingModel build() {
            return new LocalLmEmbeddingModel(this);
        }
    }
}
