package dev.locallm.hub;

import dev.locallm.spi.ModelLocation;
import dev.locallm.spi.ModelSource;
import java.util.Map;
import java.util.Set;

/**
 * Models named on the Hugging Face Hub: {@code hf:ORG/REPO/FILE.gguf[@REVISION]} becomes
 * {@code gguf:/path/in/the/cache/FILE.gguf} with the same query parameters, downloaded on first use into the cache
 * Python's {@code huggingface_hub} uses, configured from the environment as {@link HuggingFaceHub} describes;
 * progress is logged at INFO. Discovered with {@link java.util.ServiceLoader}; stateless apart from the
 * environment it was made with; thread-safe.
 */
public final class HubModelSource implements ModelSource {
    private final HuggingFaceHub hub;

    /** A source that reads the process environment. */
    public HubModelSource() {
        this(System.getenv());
    }

    HubModelSource(Map<String, String> env) {
        this.hub = HuggingFaceHub.from(env);
    }

    @Override
    public Set<String> schemes() {
        return Set.of("hf");
    }

    @Override
    public ModelLocation resolve(ModelLocation location) {
        return hub.resolve(location, new LoggedProgress(location.path()));
    }
}
