package dev.locallm.spi;

import java.util.Set;

/**
 * Where models come from when a location names them rather than a file: turns a location of one of its schemes
 * (such as {@code hf:ORG/REPO/FILE.gguf}) into one a backend opens ({@code gguf:/path/in/the/cache.gguf}, with the
 * same query parameters), downloading what it must. Discovered with {@link java.util.ServiceLoader} like
 * {@link BackendProvider}s; {@link dev.locallm.LocalLm} resolves a location through its source before it looks for a
 * backend. Implementations are stateless or thread-safe.
 */
public interface ModelSource {
    /** The schemes it resolves, such as {@code hf}. */
    Set<String> schemes();

    /**
     * The location a backend opens for {@code location}; blocks while it downloads.
     *
     * @throws dev.locallm.error.ModelLoadException when the model cannot be had, saying why
     */
    ModelLocation resolve(ModelLocation location);
}
