package dev.locallm.hub;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The Hugging Face cache, laid out as {@code huggingface_hub} lays it out so that Python tools and LocaLLM share
 * it: under {@code HF_HUB_CACHE}, else {@code HF_HOME/hub}, else {@code ~/.cache/huggingface/hub}, a folder
 * {@code models--ORG--REPO} per repository with {@code blobs/ETAG} (the content), {@code snapshots/COMMIT/FILE} (a
 * relative link to the blob) and {@code refs/REVISION} (the commit a branch or tag pointed to); locks under
 * {@code .locks/models--ORG--REPO/ETAG.lock}. Immutable.
 *
 * @param root the cache folder
 */
record HubCache(Path root) {

    /** The cache the environment names. */
    static HubCache from(Map<String, String> env) {
        String hubCache = env.get("HF_HUB_CACHE");
        if (hubCache != null && !hubCache.isBlank()) {
            return new HubCache(Path.of(hubCache));
        }
        String home = env.get("HF_HOME");
        if (home != null && !home.isBlank()) {
            return new HubCache(Path.of(home, "hub"));
        }
        return new HubCache(Path.of(System.getProperty("user.home"), ".cache", "huggingface", "hub"));
    }

    private static String folder(String repo) {
        return "models--" + repo.replace("/", "--");
    }

    Path repository(String repo) {
        return root.resolve(folder(repo));
    }

    Path blob(String repo, String etag) {
        return repository(repo).resolve("blobs").resolve(etag);
    }

    Path snapshot(String repo, String commit, String file) {
        return repository(repo).resolve("snapshots").resolve(commit).resolve(file);
    }

    Path ref(String repo, String revision) {
        return repository(repo).resolve("refs").resolve(revision);
    }

    Path lock(String repo, String etag) {
        return root.resolve(".locks").resolve(folder(repo)).resolve(etag + ".lock");
    }

    /**
     * The cached file for a name, through its branch reference or its commit, if it is there; for a repository, its
     * snapshot folder when it holds a file of the selection (the list of the repository's files needs the Hub, so a
     * folder that is there but lacks some files is taken as it is, as {@code huggingface_hub} does offline).
     */
    Optional<Path> cached(HubName name, FileSelection selection) {
        String commit = name.revision();
        Path ref = ref(name.repo(), name.revision());
        try {
            if (Files.isRegularFile(ref)) {
                commit = Files.readString(ref, StandardCharsets.UTF_8).strip();
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        Path file = snapshot(name.repo(), commit, name.file());
        boolean there = name.namesRepository() ? holdsAny(file, selection) : Files.isRegularFile(file);
        return there ? Optional.of(file) : Optional.empty();
    }

    private static boolean holdsAny(Path folder, FileSelection selection) {
        if (!Files.isDirectory(folder)) {
            return false;
        }
        try (Stream<Path> files = Files.walk(folder)) {
            return files.filter(f -> !Files.isDirectory(f))
                    .anyMatch(f -> selection.matches(folder.relativize(f).toString().replace('\\', '/')));
        } catch (IOException | java.io.UncheckedIOException e) {
            return false;
        }
    }
}
