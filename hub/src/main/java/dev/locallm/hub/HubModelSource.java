package dev.locallm.hub;

import dev.locallm.error.ModelLoadException;
import dev.locallm.spi.ModelLocation;
import dev.locallm.spi.ModelSource;
import java.nio.file.Path;
import java.util.Locale;
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
    private final Map<String, String> env;

    /** A source that reads the process environment. */
    public HubModelSource() {
        this(System.getenv());
    }

    HubModelSource(Map<String, String> env) {
        this.env = Map.copyOf(env);
    }

    @Override
    public Set<String> schemes() {
        return Set.of("hf");
    }

    @Override
    public ModelLocation resolve(ModelLocation location) {
        HubName name = HubName.parse(location.path());
        Path file = HuggingFaceHub.from(env).fetch(name, new LoggedProgress(name.toString()));
        if (!file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gguf")) {
            throw new ModelLoadException("hf:" + name + " is not a .gguf file; name one of the repository's GGUF "
                    + "files (ONNX model folders are not supported yet)");
        }
        String query = location.target().indexOf('?') < 0 ? ""
                : location.target().substring(location.target().indexOf('?'));
        return ModelLocation.parse("gguf:" + file.toAbsolutePath() + query);
    }
}
