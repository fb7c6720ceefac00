package dev.locallm.hub;

import dev.locallm.error.ModelLoadException;
import dev.locallm.spi.ModelLocation;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The Hugging Face Hub and its local cache, configured from the environment as {@code huggingface_hub} reads it:
 * {@code HF_ENDPOINT} (default {@code https://huggingface.co}), {@code HF_TOKEN}, {@code HF_HUB_OFFLINE}
 * ({@code 1} or {@code true}: only the cache), {@code HF_HUB_DOWNLOAD_TIMEOUT} (seconds the Hub may take to
 * answer, and a download may go without a byte; 10), {@code HF_HUB_CACHE} and {@code HF_HOME} (see {@link HubCache} for
 * the layout, shared with Python tools). {@link dev.locallm.LocalLm} uses it for {@code hf:} locations; use it
 * directly to download ahead of time with progress, or to list what is cached:
 *
 * <pre>{@code
 * Path file = HuggingFaceHub.fromEnvironment().download("hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF/"
 *         + "qwen2.5-0.5b-instruct-q4_k_m.gguf", (bytes, total) -> System.out.printf("%d/%d%n", bytes, total));
 * }</pre>
 *
 * Immutable and thread-safe; downloads of the same file, from any thread or process, happen once.
 */
public final class HuggingFaceHub {
    private final Map<String, String> env;
    private final HubCache cache;

    private HuggingFaceHub(Map<String, String> env) {
        this.env = Map.copyOf(env);
        this.cache = HubCache.from(this.env);
    }

    /** The Hub and cache the process environment names. */
    public static HuggingFaceHub fromEnvironment() {
        return new HuggingFaceHub(System.getenv());
    }

    /** The Hub and cache these variables name (as the environment would). */
    static HuggingFaceHub from(Map<String, String> env) {
        return new HuggingFaceHub(env);
    }

    /** The cache folder. */
    public Path cacheRoot() {
        return cache.root();
    }

    /** Whether only the cache is used ({@code HF_HUB_OFFLINE}). */
    public boolean offline() {
        String v = env.getOrDefault("HF_HUB_OFFLINE", "").strip().toLowerCase(Locale.ROOT);
        return v.equals("1") || v.equals("true") || v.equals("yes") || v.equals("on");
    }

    /**
     * The files a backend reads from a model folder when {@code hf:ORG/REPO} names no file and no {@code include}
     * parameter chooses: the top-level configuration and tokenizer files and ONNX graphs with their external data.
     */
    public static final List<String> MODEL_FOLDER_FILES = FileSelection.MODEL_FOLDER_FILES;

    /**
     * The file a name names, in the cache: downloaded first when it is not there (or its branch moved on). A name
     * of a whole repository gives its snapshot folder, with the files the {@code include} parameter's patterns
     * match (comma-separated, matched as {@code huggingface-cli download --include} matches them, where {@code *}
     * crosses {@code /}; the top-level {@link #MODEL_FOLDER_FILES} when absent).
     *
     * @param name     {@code hf:ORG/REPO/FILE[@REVISION]} or {@code hf:ORG/REPO[@REVISION][?include=GLOB,GLOB]}
     *                 (the {@code hf:} and other query parameters are optional)
     * @param listener told how the download advances (all files of a folder against their total); not called
     *                 when nothing is downloaded
     * @throws ModelDownloadException when the file cannot be had, saying why and what to do
     */
    public Path download(String name, DownloadListener listener) {
        ModelLocation location = ModelLocation.parse(name.startsWith("hf:") ? name : "hf:" + name);
        return fetch(HubName.parse(location.path()), FileSelection.of(location.parameters().get("include")),
                listener);
    }

    /**
     * The location of what an {@code hf:} location names, in the cache, with the same query parameters (less
     * {@code include}); downloaded first when it is not there: {@code gguf:FILE} for
     * {@code hf:ORG/REPO/FILE.gguf[@REVISION]}, {@code onnx:FOLDER} for a model folder {@code hf:ORG/REPO[@REVISION]}
     * (see {@link #download}).
     *
     * @throws ModelDownloadException when the file cannot be had
     * @throws dev.locallm.error.ModelLoadException when the name is of a file that is not GGUF
     */
    public ModelLocation resolve(ModelLocation location, DownloadListener listener) {
        HubName name = HubName.parse(location.path());
        Path path = fetch(name, FileSelection.of(location.parameters().get("include")), listener);
        if (!name.namesRepository() && !path.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gguf")) {
            throw new ModelLoadException("hf:" + name + " is not a .gguf file; name one of the repository's GGUF "
                    + "files, or the repository (hf:" + name.repo() + ") for an ONNX model folder");
        }
        int start = location.target().indexOf('?');
        String query = start < 0 ? "" : Arrays.stream(location.target().substring(start + 1).split("&"))
                .filter(p -> !p.equals("include") && !p.startsWith("include=")).collect(Collectors.joining("&"));
        return ModelLocation.parse((name.namesRepository() ? "onnx:" : "gguf:") + path.toAbsolutePath()
                + (query.isEmpty() ? "" : "?" + query));
    }

    private Path fetch(HubName name, FileSelection selection, DownloadListener listener) {
        if (offline()) {
            return cache.cached(name, selection).orElseThrow(() -> new ModelDownloadException("HF_HUB_OFFLINE is set "
                    + "and hf:" + name + " is not in the cache at " + cache.root()
                    + "; download it once with the network on"));
        }
        String endpoint = env.getOrDefault("HF_ENDPOINT", "https://huggingface.co");
        String token = env.get("HF_TOKEN");
        HubDownloader downloader = new HubDownloader(URI.create(endpoint.endsWith("/") ? endpoint : endpoint + "/"),
                token == null || token.isBlank() ? null : token.strip(), cache, timeout());
        return name.namesRepository() ? downloader.fetchRepository(name, selection, listener)
                : downloader.fetch(name, listener);
    }

    /** {@code HF_HUB_DOWNLOAD_TIMEOUT} seconds, 10 by default as in {@code huggingface_hub}. */
    private Duration timeout() {
        String v = env.getOrDefault("HF_HUB_DOWNLOAD_TIMEOUT", "10").strip();
        try {
            double seconds = Double.parseDouble(v);
            return Duration.ofMillis(Math.max(1, (long) (seconds * 1000)));
        } catch (NumberFormatException e) {
            throw new dev.locallm.error.InvalidRequestException("HF_HUB_DOWNLOAD_TIMEOUT is a number of seconds, "
                    + "got '" + v + "'", "HF_HUB_DOWNLOAD_TIMEOUT");
        }
    }

    /** Every file in the cache's snapshots, by repository and path; those whose blob is missing are left out. */
    public List<CachedFile> cachedFiles() {
        List<CachedFile> out = new ArrayList<>();
        if (!Files.isDirectory(cache.root())) {
            return out;
        }
        try (Stream<Path> repos = Files.list(cache.root())) {
            for (Path repoDir : repos.filter(p -> p.getFileName().toString().startsWith("models--")).sorted()
                    .toList()) {
                String repo = repoDir.getFileName().toString().substring("models--".length()).replace("--", "/");
                Path snapshots = repoDir.resolve("snapshots");
                if (!Files.isDirectory(snapshots)) {
                    continue;
                }
                try (Stream<Path> files = Files.walk(snapshots)) {
                    for (Path f : files.filter(Files::isRegularFile).sorted(Comparator.naturalOrder()).toList()) {
                        Path relative = snapshots.relativize(f);
                        String commit = relative.getName(0).toString();
                        out.add(new CachedFile(repo, relative.subpath(1, relative.getNameCount()).toString()
                                .replace('\\', '/'), commit, refsTo(repoDir, commit), Files.size(f), f));
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Could not list the cache at " + cache.root(), e);
        }
        return out;
    }

    private static List<String> refsTo(Path repoDir, String commit) throws IOException {
        Path refs = repoDir.resolve("refs");
        if (!Files.isDirectory(refs)) {
            return List.of();
        }
        List<String> names = new ArrayList<>();
        try (Stream<Path> files = Files.walk(refs)) {
            for (Path ref : files.filter(Files::isRegularFile).sorted().toList()) {
                if (Files.readString(ref, StandardCharsets.UTF_8).strip().equals(commit)) {
                    names.add(refs.relativize(ref).toString().replace('\\', '/'));
                }
            }
        }
        return names;
    }
}
