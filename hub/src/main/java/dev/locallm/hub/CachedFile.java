package dev.locallm.hub;

import java.nio.file.Path;
import java.util.List;

/**
 * A file in the Hugging Face cache. Immutable.
 *
 * @param repo   {@code ORG/REPO}
 * @param file   its path in the repository
 * @param commit the commit its snapshot belongs to
 * @param refs   the branches and tags that pointed to that commit at the last download
 * @param size   its size in bytes
 * @param path   where it is: {@code snapshots/COMMIT/FILE}
 */
public record CachedFile(String repo, String file, String commit, List<String> refs, long size, Path path) {

    /** Copies the refs. */
    public CachedFile {
        refs = List.copyOf(refs);
    }

    /** The name that finds it again: {@code hf:ORG/REPO/FILE@REVISION} (a ref when there is one, else the commit). */
    public String name() {
        return "hf:" + repo + "/" + file + "@" + (refs.isEmpty() ? commit : refs.get(0));
    }
}
