package dev.locallm.hub;

import dev.locallm.error.InvalidRequestException;

/**
 * A file on the Hugging Face Hub as an {@code hf:} location names it, {@code ORG/REPO/PATH/TO/FILE[@REVISION]}, or a
 * whole repository, {@code ORG/REPO[@REVISION]} (a model folder, such as an ONNX export); the revision a branch,
 * tag or commit ({@code main} when absent). Immutable.
 *
 * @param repo     {@code ORG/REPO}
 * @param file     the file's path in the repository; empty for the repository itself
 * @param revision the branch, tag or commit
 */
record HubName(String repo, String file, String revision) {
    static final String DEFAULT_REVISION = "main";

    /**
     * Parses the path of an {@code hf:} location.
     *
     * @throws InvalidRequestException when it does not name a repository and a file in it
     */
    static HubName parse(String path) {
        String name = path;
        String revision = DEFAULT_REVISION;
        int at = name.lastIndexOf('@');
        if (at >= 0) {
            revision = name.substring(at + 1);
            name = name.substring(0, at);
        }
        String[] parts = name.split("/", 3);
        if (parts.length < 2 || parts[0].isBlank() || parts[1].isBlank() || (parts.length == 3 && parts[2].isBlank())
                || revision.isBlank() || !isRelativePath(name)) {
            throw new InvalidRequestException("An hf: location names a file in a repository, "
                    + "hf:ORG/REPO/FILE.gguf[@REVISION] (such as hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF/"
                    + "qwen2.5-0.5b-instruct-q4_k_m.gguf), or a model folder, hf:ORG/REPO[@REVISION]; got 'hf:" + path
                    + "'", "model");
        }
        return new HubName(parts[0] + "/" + parts[1], parts.length == 3 ? parts[2] : "", revision);
    }

    /**
     * Whether a path stays inside the folder it is resolved against: no {@code ..}, {@code .} or empty segment, no
     * backslash.
     */
    static boolean isRelativePath(String path) {
        return !path.isEmpty() && !path.contains("\\") && java.util.Arrays.stream(path.split("/", -1))
                .noneMatch(s -> s.isEmpty() || s.equals(".") || s.equals(".."));
    }

    /** Whether this names a whole repository (a model folder) rather than one file. */
    boolean namesRepository() {
        return file.isEmpty();
    }

    /** One file of this repository at a commit. */
    HubName file(String path, String commit) {
        return new HubName(repo, path, commit);
    }

    /** Whether the revision is a full commit hash (then no branch reference is written). */
    boolean revisionIsCommit() {
        return revision.matches("[0-9a-f]{40}");
    }

    @Override
    public String toString() {
        return repo + (file.isEmpty() ? "" : "/" + file) + "@" + revision;
    }
}
