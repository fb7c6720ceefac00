package dev.locallm.spi;

import dev.locallm.error.BackendUnavailableException;
import java.util.Set;

/**
 * Entry point of a backend, discovered with {@link java.util.ServiceLoader}: a backend jar lists its
 * implementation in {@code META-INF/services/dev.locallm.spi.BackendProvider}. Implementations are stateless
 * or thread-safe and have a public no-argument constructor.
 *
 * <p>{@link dev.locallm.LocalLm} picks the first provider that {@link #accepts} a location, checks the
 * request, and wraps the engine it opens with the public {@link dev.locallm.ChatModel} behaviour: option
 * defaults, validation, stop sequences, streaming, timings and lifecycle. Engines only generate.
 */
public interface BackendProvider {

    /** A short human-readable name, such as {@code "llama.cpp"}. */
    String name();

    /** The URI schemes this backend handles, such as {@code gguf}. */
    Set<String> schemes();

    /** Whether this backend serves the location; by default, whether it has one of {@link #schemes()}. */
    default boolean accepts(ModelLocation location) {
        return schemes().contains(location.scheme());
    }

    /** The options type this backend accepts, used to check what users pass. */
    Class<? extends BackendOptions> optionsType();

    /**
     * The options this backend loads with when the caller passes none; query parameters of the location may still
     * set some. An instance of {@link #optionsType()}.
     */
    BackendOptions defaultOptions();

    /**
     * Loads a chat model.
     *
     * @param options options of {@link #optionsType()}: the caller's, or {@link #defaultOptions()}; query
     *                parameters of the location may still set some
     * @throws dev.locallm.error.ModelLoadException when the model cannot be loaded
     * @throws BackendUnavailableException          when the backend cannot run here
     */
    ChatEngine openChat(ModelLocation location, BackendOptions options);

    /**
     * Loads an embedding model.
     *
     * @param options as for {@link #openChat}
     * @throws BackendUnavailableException when this backend has no embeddings
     */
    default EmbeddingEngine openEmbedding(ModelLocation location, BackendOptions options) {
        throw new BackendUnavailableException("The " + name() + " backend does not compute embeddings");
    }
}
