package dev.locallm.llamacpp;

import de.kherud.llama.args.PoolingType;
import dev.locallm.error.BackendUnavailableException;
import dev.locallm.llamacpp.gguf.GgufFile;
import dev.locallm.llamacpp.gguf.GgufText;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * The steps every llama.cpp engine takes to open a file: validate it in Java, check the options against the
 * native library, and acquire the shared native model. Immutable after {@link #open}.
 */
record LoadedGguf(GgufFile gguf, LlamaCppOptions options, SharedModels.Key key, NativeModel model, int contextPerSlot) {

    private static final int DEFAULT_MAX_CONTEXT = 4096;

    static LoadedGguf open(Path path, LlamaCppOptions options, boolean embeddings) {
        GgufFile gguf = GgufFile.read(path);
        ModelPreflight.check(gguf);
        NativeLibrary.ensureLoaded();
        if (options.gpuLayers() > 0 && NativeLibrary.isBundled()) {
            throw new BackendUnavailableException("gpuLayers=" + options.gpuLayers() + " needs a GPU build of the "
                    + "llama.cpp native library, but the one bundled with de.kherud:llama is CPU-only. Build the "
                    + "binding with CUDA (or Metal) and pass -D" + NativeLibrary.LIBRARY_PATH_PROPERTY
                    + "=<directory of libjllama>, or set gpuLayers to 0.");
        }
        int trained = gguf.contextLength().orElse(DEFAULT_MAX_CONTEXT);
        int context = options.contextSize().orElse(Math.min(trained, DEFAULT_MAX_CONTEXT));
        SharedModels.Key key = new SharedModels.Key(canonical(path), gguf.fileSize(), modified(path),
                options.threads(), options.batchThreads(), context, options.batchSize(), options.gpuLayers(), options.parallel(), embeddings,
                pooling(gguf));
        String description = GgufText.quoted(gguf.name()) + " (" + path.getFileName() + ", "
                + GgufText.quoted(gguf.architecture()) + ", "
                + gguf.quantization() + ")";
        return new LoadedGguf(gguf, options, key, SharedModels.acquire(key, description), context);
    }

    /** Encoder architectures whose declared pooling llama.cpp b4916 computes. */
    private static final Set<String> ENCODERS = Set.of("bert", "nomic-bert", "nomic-bert-moe", "jina-bert-v2",
            "modern-bert", "t5encoder");

    /**
     * One vector per text. Encoder models get the pooling they declare ({@code <arch>.pooling_type}: mean,
     * CLS or last). Decoder models get last-token pooling: through the binding, their "none" and CLS pooling
     * return the first (BOS) token's vector for every text, and mean pooling fails a GGML_ASSERT in llama.cpp
     * b4916, which aborts the JVM.
     */
    private static PoolingType pooling(GgufFile gguf) {
        if (!ENCODERS.contains(gguf.architecture())) {
            return PoolingType.LAST;
        }
        long declared = gguf.integer(gguf.architecture() + ".pooling_type").orElse(1);
        return declared == 2 ? PoolingType.CLS : declared == 3 ? PoolingType.LAST : PoolingType.MEAN;
    }

    void release() {
        SharedModels.release(key);
    }

    private static Path canonical(Path path) {
        try {
            return path.toRealPath();
        } catch (IOException e) {
            return path.toAbsolutePath().normalize();
        }
    }

    private static long modified(Path path) {
        try {
            return Files.getLastModifiedTime(path).toMillis();
        } catch (IOException e) {
            return 0;
        }
    }
}
