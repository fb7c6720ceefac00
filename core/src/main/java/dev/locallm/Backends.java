package dev.locallm;

import dev.locallm.error.BackendUnavailableException;
import dev.locallm.spi.BackendProvider;
import dev.locallm.spi.ModelLocation;
import dev.locallm.spi.ModelSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeSet;

/**
 * Finds the {@link ModelSource} and the {@link BackendProvider} for a model location with {@link ServiceLoader}:
 * the given class loader first, then LocaLLM's own. Stateless; thread-safe.
 */
final class Backends {
    /** Where the backend for a well-known scheme lives, for error messages. */
    private static final Map<String, String> KNOWN_SCHEMES = Map.of(
            "gguf", "the llama.cpp backend, dev.locallm:locallm-backend-llamacpp",
            "onnx", "the ONNX Runtime backend, dev.locallm:locallm-backend-onnx",
            "openai", "the remote backend, dev.locallm:locallm-backend-remote",
            "hf", "the Hugging Face Hub source, dev.locallm:locallm-hub");

    private Backends() {
    }

    /** All providers visible from {@code loader} and from LocaLLM's class loader, without duplicates. */
    static List<BackendProvider> providers(ClassLoader loader) {
        Map<String, BackendProvider> found = new LinkedHashMap<>();
        if (loader != null) {
            load(loader, found);
        }
        load(Backends.class.getClassLoader(), found);
        return new ArrayList<>(found.values());
    }

    private static void load(ClassLoader loader, Map<String, BackendProvider> found) {
        try {
            for (BackendProvider p : ServiceLoader.load(BackendProvider.class, loader)) {
                found.putIfAbsent(p.getClass().getName(), p);
            }
        } catch (ServiceConfigurationError e) {
            throw new BackendUnavailableException("A LocaLLM backend on the class path failed to start: "
                    + e.getMessage(), e);
        }
    }

    /**
     * {@code location} itself, or what the {@link ModelSource} of its scheme resolves it to (visible from
     * {@code loader} or LocaLLM's class loader).
     */
    static ModelLocation resolve(ModelLocation location, ClassLoader loader) {
        for (ClassLoader l : loader == null ? List.of(Backends.class.getClassLoader())
                : List.of(loader, Backends.class.getClassLoader())) {
            try {
                for (ModelSource source : ServiceLoader.load(ModelSource.class, l)) {
                    if (source.schemes().contains(location.scheme())) {
                        return source.resolve(location);
                    }
                }
            } catch (ServiceConfigurationError e) {
                throw new BackendUnavailableException("A LocaLLM model source on the class path failed to start: "
                        + e.getMessage(), e);
            }
        }
        return location;
    }

    /**
     * The provider that accepts {@code location}.
     *
     * @throws BackendUnavailableException naming the dependency to add when none does
     */
    static BackendProvider find(ModelLocation location, ClassLoader loader) {
        List<BackendProvider> providers = providers(loader);
        for (BackendProvider p : providers) {
            if (p.accepts(location)) {
                return p;
            }
        }
        TreeSet<String> schemes = new TreeSet<>();
        providers.forEach(p -> schemes.addAll(p.schemes()));
        String available = schemes.isEmpty() ? "none: no LocaLLM backend is on the class path"
                : String.join(", ", schemes);
        String scheme = location.scheme();
        String hint;
        if (scheme.isEmpty()) {
            hint = location.path().toLowerCase(java.util.Locale.ROOT).endsWith(".gguf")
                    ? "A .gguf file needs " + KNOWN_SCHEMES.get("gguf") + "."
                    : "Prefix it with a scheme such as gguf: so that LocaLLM knows which backend to use.";
        } else if (KNOWN_SCHEMES.containsKey(scheme)) {
            hint = "Scheme '" + scheme + "' needs " + KNOWN_SCHEMES.get(scheme) + ": add it to the class path.";
        } else {
            hint = "Unknown scheme '" + scheme + "'.";
        }
        throw new BackendUnavailableException("No LocaLLM backend handles the model '" + location + "'. " + hint
                + " Schemes available: " + available + ".");
    }
}
