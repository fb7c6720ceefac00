package dev.locallm.llamacpp;

import dev.locallm.spi.BackendOptions;
import dev.locallm.spi.BackendProvider;
import dev.locallm.spi.ChatEngine;
import dev.locallm.spi.EmbeddingEngine;
import dev.locallm.spi.ModelLocation;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;

/**
 * The llama.cpp backend: runs GGUF files in-process. Handles {@code gguf:} URIs and plain paths ending in
 * {@code .gguf}; query parameters set {@link LlamaCppOptions} (see there). Found by {@link java.util.ServiceLoader};
 * stateless and thread-safe.
 */
public final class LlamaCppProvider implements BackendProvider {

    @Override
    public String name() {
        return "llama.cpp";
    }

    @Override
    public Set<String> schemes() {
        return Set.of("gguf");
    }

    @Override
    public boolean accepts(ModelLocation location) {
        return location.scheme().equals("gguf")
                || (location.scheme().isEmpty() && location.path().toLowerCase(Locale.ROOT).endsWith(".gguf"));
    }

    @Override
    public Class<LlamaCppOptions> optionsType() {
        return LlamaCppOptions.class;
    }

    @Override
    public LlamaCppOptions defaultOptions() {
        return LlamaCppOptions.defaults();
    }

    @Override
    public ChatEngine openChat(ModelLocation location, BackendOptions options) {
        return LlamaCppChatEngine.open(path(location), options(location, options));
    }

    @Override
    public EmbeddingEngine openEmbedding(ModelLocation location, BackendOptions options) {
        return LlamaCppEmbeddingEngine.open(path(location), options(location, options));
    }

    private static LlamaCppOptions options(ModelLocation location, BackendOptions options) {
        LlamaCppOptions base = (LlamaCppOptions) options;
        return location.parameters().isEmpty() ? base : base.toBuilder().parameters(location.parameters()).build();
    }

    private static Path path(ModelLocation location) {
        String p = location.path();
        if (p.startsWith("~/")) {
            p = System.getProperty("user.home") + p.substring(1);
        }
        return Path.of(p);
    }
}
