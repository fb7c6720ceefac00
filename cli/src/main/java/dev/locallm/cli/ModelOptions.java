package dev.locallm.cli;

import dev.locallm.LocalLm;
import dev.locallm.hub.HuggingFaceHub;
import dev.locallm.llamacpp.LlamaCppOptions;
import dev.locallm.spi.ModelLocation;
import picocli.CommandLine.Option;

/** The options that say which model to load and how; shared by the commands that load one. */
final class ModelOptions {

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "PATH|URI",
            description = "A GGUF file, or a model URI such as gguf:/models/m.gguf?threads=2 or "
                    + "hf:ORG/REPO/FILE.gguf (downloaded into the Hugging Face cache on first use).")
    String model;

    @Option(names = "--threads", paramLabel = "N", description = "CPU threads (llama.cpp). Default: ${DEFAULT-VALUE}.")
    Integer threads;

    @Option(names = "--ctx", paramLabel = "N", description = "Context tokens per request (llama.cpp).")
    Integer contextSize;

    @Option(names = "--gpu-layers", paramLabel = "N", description = "Layers to offload to a GPU (needs a GPU build).")
    Integer gpuLayers;

    @picocli.CommandLine.Mixin
    VerboseOption verbose;

    /** A builder for the model, with llama.cpp options when the model is a GGUF file. */
    LocalLm.Builder builder() {
        return builder(options -> { });
    }

    /** {@link #builder()} with more llama.cpp options set by {@code llamaOptions} (for a GGUF model). */
    LocalLm.Builder builder(java.util.function.Consumer<LlamaCppOptions.Builder> llamaOptions) {
        ModelLocation location = ModelLocation.parse(model);
        if (location.scheme().equals("hf")) {
            try (DownloadProgressBar bar = new DownloadProgressBar(model)) {
                location = HuggingFaceHub.fromEnvironment().resolve(location, bar);
            }
        }
        LocalLm.Builder builder = LocalLm.builder().model(location.uri());
        boolean gguf = location.scheme().equals("gguf")
                || location.path().toLowerCase(java.util.Locale.ROOT).endsWith(".gguf");
        if (gguf) {
            LlamaCppOptions.Builder options = LlamaCppOptions.builder();
            if (threads != null) {
                options.threads(threads);
            }
            if (contextSize != null) {
                options.contextSize(contextSize);
            }
            if (gpuLayers != null) {
                options.gpuLayers(gpuLayers);
            }
            llamaOptions.accept(options);
            builder.backendOptions(options.build());
        }
        return builder;
    }
}
