package dev.locallm.hub;

import dev.locallm.error.ModelLoadException;
import dev.locallm.spi.ModelLocation;
import dev.locallm.spi.ModelSource;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

/**
 * Models named on the Hugging Face Hub: {@code hf:ORG/REPO/FILE.gguf[@REVISION]} becomes
 * {@code gguf:/path/in/the/cache/FILE.gguf} with the same query parameters, downloaded on first use into the cache
 * Python's {@code huggingface_hub} uses ({@link HubCache}). The environment is read as {@code huggingface_hub}
 * reads it: {@code HF_ENDPOINT} (default {@code https://huggingface.co}), {@code HF_TOKEN}, {@code HF_HUB_OFFLINE}
 * ({@code 1} or {@code true}: only the cache), {@code HF_HUB_CACHE} and {@code HF_HOME}. Discovered with
 * {@link java.util.ServiceLoader}; stateless apart from the environment it was made with; thread-safe.
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
        HubCache cache = HubCache.from(env);
        Path file;
        if (offline()) {
            file = cache.cached(name).orElseThrow(() -> new ModelDownloadException("HF_HUB_OFFLINE is set and hf:"
                    + name + " is not in the cache at " + cache.root() + "; download it once with the network on"));
        } else {
            String endpoint = env.getOrDefault("HF_ENDPOINT", "https://huggingface.co");
            String token = env.get("HF_TOKEN");
            file = new HubDownloader(URI.create(endpoint.endsWith("/") ? endpoint : endpoint + "/"),
                    token == null || token.isBlank() ? null : token.strip(), cache, Duration.ofSeconds(30))
                    .fetch(name);
        }
        if (!file.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".gguf")) {
            throw new ModelLoadException("hf:" + name + " is not a .gguf file; name one of the repository's GGUF "
                    + "files (ONNX model folders are not supported yet)");
        }
        String query = location.target().indexOf('?') < 0 ? ""
                : location.target().substring(location.target().indexOf('?'));
        return ModelLocation.parse("gguf:" + file.toAbsolutePath() + query);
    }

    private boolean offline() {
        String v = env.getOrDefault("HF_HUB_OFFLINE", "").strip().toLowerCase(java.util.Locale.ROOT);
        return v.equals("1") || v.equals("true") || v.equals("yes") || v.equals("on");
    }
}
