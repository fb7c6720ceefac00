package dev.locallm.cli;

import dev.locallm.LocalLm;
import dev.locallm.error.InvalidRequestException;
import dev.locallm.hub.HuggingFaceHub;
import dev.locallm.llamacpp.LlamaCppOptions;
import dev.locallm.onnx.OnnxOptions;
import dev.locallm.spi.ModelLocation;
import picocli.CommandLine.Option;

/** The options that say which model to load and how; shared by the commands that load one. */
final class ModelOptions {

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "PATH|URI",
            description = "A GGUF file, or a model URI such as gguf:/models/m.gguf?threads=2, "
                    + "hf:ORG/REPO/FILE.gguf (downloaded into the Hugging Face cache on first use), "
                    + "onnx:/models/DIR (an ONNX Runtime model folder) or openai:http://host:port/v1.")
    String model;

    @Option(names = "--threads", paramLabel = "N", description = "CPU threads. Default: the backend's (llama.cpp: "
            + "all cores with LocaLLM's build, half with the stock one; ONNX Runtime: half).")
    Integer threads;

    @Option(names = "--ctx", paramLabel = "N", description = "Context tokens per request. Default: the model's "
            + "(llama.cpp: at most 4096).")
    Integer contextSize;

    @Option(names = "--gpu-layers", paramLabel = "N", description = "Layers to offload to a GPU (needs a GPU build).")
    Integer gpuLayers;

    @picocli.CommandLine.Mixin
    VerboseOption verbose;

    /** A builder for the model, with the backend's options the flags set (llama.cpp for GGUF, ONNX Runtime). */
    LocalLm.Builder builder() {
        return builder(null);
    }

    /** {@link #builder()} that also sets how many requests the model generates at once, when not null. */
    LocalLm.Builder builder(Integer parallel) {
        ModelLocation location = ModelLocation.parse(model);
        if (location.scheme().equals("hf")) {
            try (DownloadProgressBar bar = new DownloadProgressBar(model)) {
                location = HuggingFaceHub.fromEnvironment().resolve(location, bar);
            }
        }
        LocalLm.Builder builder = LocalLm.builder().model(location.uri());
        if (location.scheme().equals("onnx")) {
            builder.backendOptions(onnxOptions(parallel));
        } else if (location.scheme().equals("gguf")
                || location.path().toLowerCase(java.util.Locale.ROOT).endsWith(".gguf")) {
            builder.backendOptions(llamaCppOptions(parallel));
        } else if (threads != null || contextSize != null || gpuLayers != null) {
            throw new InvalidRequestException("--threads, --ctx and --gpu-layers apply to models that run in this "
                    + "process (GGUF files, onnx: folders), not to " + model, "model");
        }
        return builder;
    }

    private LlamaCppOptions llamaCppOptions(Integer parallel) {
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
        if (parallel != null) {
            options.parallel(parallel);
        }
        return options.build();
    }

    private OnnxOptions onnxOptions(Integer parallel) {
        if (gpuLayers != null) {
            throw new InvalidRequestException("--gpu-layers applies to GGUF models; an ONNX model runs on a GPU "
                    + "with ?device=cuda in its location (onnx:DIR?device=cuda)", "gpuLayers");
        }
        OnnxOptions.Builder options = OnnxOptions.builder();
        if (threads != null) {
            options.threads(threads);
        }
        if (contextSize != null) {
            options.contextSize(contextSize);
        }
        if (parallel != null) {
            options.parallel(parallel);
        }
        return options.build();
    }
}
