package dev.locallm.llamacpp;

import dev.locallm.error.BackendUnavailableException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A native library in a {@code locallm-llamacpp-native} jar, as its descriptor
 * ({@value #DESCRIPTOR}) tells it, and the choice among those on the classpath.
 *
 * @param platform       {@code linux-x86_64}, {@code macos-aarch64}, ...
 * @param variant        {@code cpu}, {@code cpu-portable}, {@code cuda}, {@code vulkan}, {@code metal}
 * @param resource       the library's path inside the jar
 * @param sha256         the library's SHA-256, checked when it is unpacked
 * @param llamaCppTag    the llama.cpp release it was built from
 * @param llamaCppCommit the llama.cpp commit it was built from
 * @param cpuFeatures    the CPU features it needs, named as in Linux's {@code /proc/cpuinfo}
 * @param descriptor     where the descriptor was found, for messages
 */
record PackagedLibrary(String platform, String variant, String resource, String sha256, String llamaCppTag,
        String llamaCppCommit, Set<String> cpuFeatures, String descriptor) {

    static final String DESCRIPTOR = "META-INF/locallm/llamacpp-native.properties";
    /** Picks a variant among those on the classpath; {@code stock} picks the binding's own library. */
    static final String VARIANT_PROPERTY = "locallm.llamacpp.variant";
    static final String STOCK = "stock";
    private static final List<String> PREFERENCE = List.of("cuda", "vulkan", "metal", "cpu", "cpu-portable");
    private static final Logger LOG = LoggerFactory.getLogger(PackagedLibrary.class);

    /** Reads every descriptor the class loader sees. */
    static List<PackagedLibrary> find(ClassLoader loader) {
        List<PackagedLibrary> found = new ArrayList<>();
        try {
            for (URL url : Collections.list(loader.getResources(DESCRIPTOR))) {
                Properties p = new Properties();
                try (InputStream in = url.openStream()) {
                    p.load(new InputStreamReader(in, StandardCharsets.UTF_8));
                }
                String features = p.getProperty("cpuFeatures", "").strip();
                found.add(new PackagedLibrary(required(p, "platform", url), required(p, "variant", url),
                        required(p, "library", url), required(p, "sha256", url),
                        p.getProperty("llamaCppTag", "unknown"),
                        p.getProperty("llamaCppCommit", "unknown"), features.isEmpty() ? Set.of()
                                : new LinkedHashSet<>(Arrays.asList(features.split("\\s+"))), url.toString()));
            }
        } catch (IOException e) {
            throw new BackendUnavailableException("Cannot read the descriptors of locallm-llamacpp-native jars ("
                    + DESCRIPTOR + "): " + e.getMessage(), e);
        }
        return found;
    }

    private static String required(Properties p, String key, URL url) {
        String value = p.getProperty(key, "").strip();
        if (value.isEmpty()) {
            throw new BackendUnavailableException(url + " has no '" + key + "': the locallm-llamacpp-native jar is "
                    + "broken; build it again with backend-llamacpp/native/build.sh");
        }
        return value;
    }

    /**
     * The libraries to try, in order: only the variant named by {@code wanted} (then it must be there and run on
     * this CPU), or else every library for this platform whose CPU features this CPU has, GPU builds first, then
     * {@code cpu}, then {@code cpu-portable}; empty for the binding's own library ({@code wanted} {@value #STOCK},
     * or none applies).
     *
     * @param cpuFlags this CPU's features, or {@code null} when the platform does not tell (then every library
     *                 is taken to run)
     * @param wanted   a variant, {@value #STOCK}, or blank for the order above
     */
    static List<PackagedLibrary> candidates(List<PackagedLibrary> all, String platform, Set<String> cpuFlags,
            String wanted) {
        List<PackagedLibrary> here = all.stream().filter(l -> l.platform.equals(platform))
                .sorted(Comparator.comparingInt(PackagedLibrary::rank).thenComparing(PackagedLibrary::variant))
                .toList();
        for (int i = 1; i < here.size(); i++) {
            if (here.get(i).variant.equals(here.get(i - 1).variant)) {
                LOG.warn("Two llama.cpp libraries of variant {} for {} are on the classpath; using {}, not {}",
                        here.get(i).variant, platform, here.get(i - 1).descriptor, here.get(i).descriptor);
            }
        }
        if (wanted != null && !wanted.isBlank()) {
            if (wanted.equals(STOCK)) {
                return List.of();
            }
            PackagedLibrary chosen = here.stream().filter(l -> l.variant.equals(wanted)).findFirst()
                    .orElseThrow(() -> new BackendUnavailableException("-D" + VARIANT_PROPERTY + "=" + wanted
                            + " but no locallm-llamacpp-native jar for " + platform + " has that variant (found: "
                            + (here.isEmpty() ? "none" : here.stream().map(PackagedLibrary::variant).distinct()
                                    .collect(Collectors.joining(", "))) + "; 'stock' is the binding's own library)"));
            Set<String> missing = chosen.missingFeatures(cpuFlags);
            if (!missing.isEmpty()) {
                throw new BackendUnavailableException("The " + wanted + " library for " + platform + " needs CPU "
                        + "features this CPU lacks: " + String.join(" ", missing) + ". Build it on this machine, or "
                        + "use cpu-portable.");
            }
            return List.of(chosen);
        }
        List<PackagedLibrary> runnable = new ArrayList<>();
        for (PackagedLibrary library : here) {
            Set<String> missing = library.missingFeatures(cpuFlags);
            if (missing.isEmpty()) {
                if (runnable.stream().noneMatch(l -> l.variant.equals(library.variant))) {
                    runnable.add(library);
                }
            } else {
                LOG.warn("Passing over the {} llama.cpp library for {}: it needs CPU features this CPU lacks ({})",
                        library.variant, platform, String.join(" ", missing));
            }
        }
        return runnable;
    }

    private Set<String> missingFeatures(Set<String> cpuFlags) {
        if (cpuFlags == null) {
            return Set.of();
        }
        Set<String> missing = new LinkedHashSet<>(cpuFeatures);
        missing.removeAll(cpuFlags);
        return missing;
    }

    private int rank() {
        int i = PREFERENCE.indexOf(variant);
        return i < 0 ? PREFERENCE.size() : i;
    }

    /** This platform as the descriptors name it, such as {@code linux-x86_64}. */
    static String currentPlatform() {
        String binding = NativeLibrary.platform();
        String os = binding.substring(0, binding.indexOf('/')).toLowerCase(Locale.ROOT);
        return (os.equals("mac") ? "macos" : os) + "-" + binding.substring(binding.indexOf('/') + 1);
    }

    /** This CPU's features from {@code /proc/cpuinfo}, or {@code null} where there is none (macOS, Windows). */
    static Set<String> currentCpuFlags() {
        Path cpuinfo = Path.of("/proc/cpuinfo");
        if (!Files.isReadable(cpuinfo)) {
            return null;
        }
        try (var lines = Files.lines(cpuinfo)) {
            return lines.filter(l -> l.startsWith("flags") || l.startsWith("Features")).findFirst()
                    .map(l -> Set.<String>copyOf(Arrays.asList(l.substring(l.indexOf(':') + 1).strip().split("\\s+"))))
                    .orElse(null);
        } catch (IOException | UncheckedIOException e) {
            return null;
        }
    }
}
