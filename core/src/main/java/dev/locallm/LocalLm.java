package dev.locallm;

import dev.locallm.chat.GenerationOptions;
import dev.locallm.error.InvalidRequestException;
import dev.locallm.spi.BackendOptions;
import dev.locallm.spi.BackendProvider;
import dev.locallm.spi.ModelLocation;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The entry point: loads models through whichever backend on the class path handles their location.
 *
 * <pre>{@code
 * // a GGUF file, run in-process by llama.cpp (needs dev.locallm:locallm-backend-llamacpp)
 * ChatModel model = LocalLm.chatModel("gguf:/models/qwen2.5-0.5b-instruct-q8_0.gguf");
 *
 * // the same, with typed backend options and default generation options
 * ChatModel tuned = LocalLm.builder()
 *         .model("/models/qwen2.5-0.5b-instruct-q8_0.gguf")
 *         .backendOptions(LlamaCppOptions.builder().threads(4).parallel(2).build())
 *         .defaultOptions(o -> o.temperature(0.2))
 *         .buildChatModel();
 * }</pre>
 *
 * <p>Locations are {@code scheme:target} ({@code gguf:/path/model.gguf}; query parameters such as
 * {@code ?threads=4} set backend options) or a plain path that a backend recognises by its extension. A location
 * that names a model rather than a file ({@code hf:ORG/REPO/FILE.gguf}, with {@code dev.locallm:locallm-hub}) is
 * first resolved to a file by its {@link dev.locallm.spi.ModelSource}, downloading it when it is not cached.
 * Backends are found with {@link java.util.ServiceLoader}, first through the thread's context class loader,
 * then through LocaLLM's own. Static methods are thread-safe; a {@link Builder} is not.
 *
 * <p>Every factory throws {@link dev.locallm.error.BackendUnavailableException} when no backend handles the
 * location (the message names the dependency to add), and {@link dev.locallm.error.ModelLoadException} when the
 * model file is missing or malformed.
 */
public final class LocalLm {

    private LocalLm() {
    }

    /** Loads a chat model with default options. */
    public static ChatModel chatModel(String location) {
        return builder().model(location).buildChatModel();
    }

    /** Loads an embedding model with default options. */
    public static EmbeddingModel embeddingModel(String location) {
        return builder().model(location).buildEmbeddingModel();
    }

    /** A builder for loading one model. */
    public static Builder builder() {
        return new Builder();
    }

    /** Configures how a model is loaded. Not thread-safe; build once per model. */
    public static final class Builder {
        private String location;
        private BackendOptions backendOptions;
        private GenerationOptions defaultOptions = GenerationOptions.empty();
        private ClassLoader classLoader;

        private Builder() {
        }

        /** Where the model is: a URI such as {@code gguf:/models/m.gguf}, or a plain path. */
        public Builder model(String location) {
            this.location = Objects.requireNonNull(location, "location");
            return this;
        }

        /** Typed options of the backend that will load the model, such as {@code LlamaCppOptions}. */
        public Builder backendOptions(BackendOptions options) {
            this.backendOptions = Objects.requireNonNull(options, "options");
            return this;
        }

        /** Options every request falls back to. */
        public Builder defaultOptions(GenerationOptions options) {
            this.defaultOptions = Objects.requireNonNull(options, "options");
            return this;
        }

        /** {@link #defaultOptions(GenerationOptions)} built by a customizer. */
        public Builder defaultOptions(Consumer<GenerationOptions.Builder> customizer) {
            return defaultOptions(GenerationOptions.of(customizer));
        }

        /** The class loader to find backends with; defaults to the thread's context class loader. */
        public Builder classLoader(ClassLoader classLoader) {
            this.classLoader = Objects.requireNonNull(classLoader, "classLoader");
            return this;
        }

        /** Loads the model for chat through the backend that handles its location. */
        public ChatModel buildChatModel() {
            ModelLocation where = location();
            BackendProvider provider = provider(where);
            return EngineChatModel.create(provider.openChat(where, options(provider)), defaultOptions);
        }

        /** Loads the model for embeddings through the backend that handles its location. */
        public EmbeddingModel buildEmbeddingModel() {
            ModelLocation where = location();
            BackendProvider provider = provider(where);
            return EngineEmbeddingModel.create(provider.openEmbedding(where, options(provider)));
        }

        private BackendOptions options(BackendProvider provider) {
            return backendOptions != null ? backendOptions : provider.defaultOptions();
        }

        /** The location, resolved by its {@link dev.locallm.spi.ModelSource} when its scheme has one. */
        private ModelLocation location() {
            if (location == null) {
                throw new InvalidRequestException("no model location set: call model(...) first", "model");
            }
            return Backends.resolve(ModelLocation.parse(location),
                    classLoader != null ? classLoader : Thread.currentThread().getContextClassLoader());
        }

        private BackendProvider provider(ModelLocation where) {
            ClassLoader loader = classLoader != null ? classLoader : Thread.currentThread().getContextClassLoader();
            BackendProvider provider = Backends.find(where, loader);
            if (backendOptions != null && !provider.optionsType().isInstance(backendOptions)) {
                throw new InvalidRequestException("backend options of type " + backendOptions.getClass().getName()
                        + " do not apply to the " + provider.name() + " backend, which takes "
                        + provider.optionsType().getName(), "backendOptions");
            }
            return provider;
        }
    }
}
