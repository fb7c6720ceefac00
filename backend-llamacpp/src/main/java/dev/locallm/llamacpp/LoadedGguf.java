package dev.locallm.llamacpp;

import de.kherud.llama.args.PoolingType;
import dev.locallm.error.BackendUnavailableException;
import dev.locallm.llamacpp.gguf.GgufFile;
import dev.locallm.llamacpp.gguf.GgufText;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The steps every llama.cpp engine takes to open a file: validate it in Java, check the options against the
 * native library, and acquire the shared native model. Immutable after {@link #open}.
 */
record LoadedGguf(GgufFile gguf, LlamaCppOptions options, SharedModels.Key key, NativeModel model, int contextPerSlot) {

    private static final int DEFAULT_MAX_CONTEXT = 4096;
    private static final Logger LOG = LoggerFactory.getLogger(LoadedGguf.class);

    static LoadedGguf open(Path path, LlamaCppOptions options, boolean embeddings) {
        GgufFile gguf = GgufFile.read(path);
        ModelPreflight.check(gguf);
        NativeLibrary.ensureLoaded();
        if (options.gpuLayers() > 0) {
            checkGpuOffload(options.gpuLayers(), NativeLibrary.info());
        }
        int trained = gguf.contextLength().orElse(DEFAULT_MAX_CONTEXT);
        int context = options.contextSize().orElse(Math.min(trained, DEFAULT_MAX_CONTEXT));
        SharedModels.Key key = new SharedModels.Key(canonical(path), gguf.fileSize(), modified(path),
                options.threads(), options.batchThreads(), context, options.batchSize(), options.gpuLayers(),
                options.parallel(), embeddings, pooling(gguf));
        String description = GgufText.quoted(gguf.name()) + " (" + path.getFileName() + ", "
                + GgufText.quoted(gguf.architecture()) + ", "
                + gguf.quantization() + ")";
        return new LoadedGguf(gguf, options, key, SharedModels.acquire(key, description), context);
    }

    /**
     * Refuses GPU layers a library cannot offload, instead of llama.cpp's warning and a silent CPU run. A library
     * that does not describe itself (supplied, not built by LocaLLM) is trusted.
     */
    static void checkGpuOffload(int gpuLayers, NativeLibraryInfo library) {
        String hint = " Add the dependency dev.locallm:locallm-llamacpp-native with the classifier "
                + PackagedLibrary.currentPlatform() + "-cuda (or -vulkan, -metal), built with "
                + "backend-llamacpp/native (see its README), or set gpuLayers to 0.";
        switch (library.gpuOffload()) {
            case NOT_SUPPORTED -> throw new BackendUnavailableException("gpuLayers=" + gpuLayers + " needs a GPU "
                    + "build of the llama.cpp native library, but the one in use (" + library.variant() + ", "
                    + library.location() + ") is CPU-only." + hint);
            case SUPPORTED -> {
                if (!library.devices().isEmpty() && !library.hasGpu()) {
                    throw new BackendUnavailableException("gpuLayers=" + gpuLayers + ": the " + library.variant()
                            + " llama.cpp library found no GPU on this machine (devices: " + String.join(", ",
                                    library.devices().stream().map(NativeLibraryInfo.Device::name).toList())
                            + "). Check the driver (nvidia-smi, vulkaninfo), or set gpuLayers to 0.");
                }
                if (library.hasGpu() && library.devices().stream().filter(NativeLibraryInfo.Device::isGpu)
                        .allMatch(NativeLibraryInfo.Device::isSoftwareGpu)) {
                    LOG.warn("gpuLayers={} offloads to a software GPU that runs on the CPU ({}): slower than the "
                            + "CPU backend; a real GPU, or the cpu variant with gpuLayers 0, is faster", gpuLayers,
                            String.join(", ", library.devices().stream().filter(NativeLibraryInfo.Device::isGpu)
                                    .map(NativeLibraryInfo.Device::description).toList()));
                }
            }
            case UNKNOWN -> LOG.warn("gpuLayers={} with {}, which does not say whether it can offload: if it cannot, "
                    + "llama.cpp runs on the CPU", gpuLayers, library.location());
        }
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
