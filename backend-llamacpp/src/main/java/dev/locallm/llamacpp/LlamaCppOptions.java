package dev.locallm.llamacpp;

import dev.locallm.error.InvalidRequestException;
import dev.locallm.spi.BackendOptions;
import dev.locallm.spi.ModelLocation;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * How the llama.cpp backend loads a GGUF model. Immutable and thread-safe; unset values take the defaults
 * below. Model URIs may set the same options as query parameters:
 * {@code gguf:/models/m.gguf?threads=4&batch-threads=8&ctx=8192&batch=512&gpu-layers=99&parallel=4}.
 *
 * <pre>{@code
 * LlamaCppOptions options = LlamaCppOptions.builder().threads(4).contextSize(8192).parallel(2).build();
 * ChatModel model = LocalLm.builder().model("gguf:/models/m.gguf").backendOptions(options).buildChatModel();
 * }</pre>
 *
 * <ul>
 *   <li>{@code threads}: CPU threads for generating tokens; default {@link #defaultThreads()}, which depends on
 *       the native library (read once it is loaded, which opening a model does first).
 *   <li>{@code batchThreads}: CPU threads for processing prompts; default all available processors. Prompt
 *       processing is compute-bound and scales with threads; token generation is memory-bound and, on few
 *       cores, slows down with more threads.
 *   <li>{@code contextSize}: tokens of context for each request (prompt plus completion); default the
 *       model's training context, at most 4096.
 *   <li>{@code batchSize}: prompt tokens processed per step; default 512.
 *   <li>{@code gpuLayers}: layers to offload to a GPU; default 0. Needs a GPU build of the native library
 *       (see the module README); with the bundled CPU library a non-zero value fails at load time.
 *   <li>{@code parallel}: generations that run at once in one batch (continuous batching); default 1. Memory
 *       for the context grows with it. More concurrent requests wait for a free slot.
 *   <li>{@code chatTemplate}: a Jinja chat template that replaces the model's own; default the model's, or
 *       ChatML when it has none.
 * </ul>
 */
public final class LlamaCppOptions implements BackendOptions {
    private static final LlamaCppOptions DEFAULTS = builder().build();

    private final Integer threads;
    private final Integer batchThreads;
    private final Integer contextSize;
    private final int batchSize;
    private final int gpuLayers;
    private final int parallel;
    private final String chatTemplate;

    private LlamaCppOptions(Builder b) {
        this.threads = positive(b.threads, "threads");
        this.batchThreads = positive(b.batchThreads, "batchThreads");
        this.contextSize = positive(b.contextSize, "contextSize");
        this.batchSize = positive(b.batchSize, "batchSize");
        this.parallel = positive(b.parallel, "parallel");
        if (b.gpuLayers < 0) {
            throw new InvalidRequestException("gpuLayers must be >= 0, was " + b.gpuLayers, "gpuLayers");
        }
        if (parallel > 64) {
            throw new InvalidRequestException("parallel must be at most 64, was " + parallel, "parallel");
        }
        this.gpuLayers = b.gpuLayers;
        this.chatTemplate = b.chatTemplate;
    }

    private static Integer positive(Integer value, String name) {
        if (value != null && value < 1) {
            throw new InvalidRequestException(name + " must be >= 1, was " + value, name);
        }
        return value;
    }

    /** A builder with every default. */
    public static Builder builder() {
        return new Builder();
    }

    /** The defaults. */
    public static LlamaCppOptions defaults() {
        return DEFAULTS;
    }

    /**
     * Options from model-URI query parameters: {@code threads}, {@code batch-threads}, {@code ctx},
     * {@code batch}, {@code gpu-layers}, {@code parallel}.
     *
     * @throws InvalidRequestException on an unknown parameter or a value that is not a number
     */
    public static LlamaCppOptions fromParameters(Map<String, String> parameters) {
        return builder().parameters(parameters).build();
    }

    /**
     * The default thread count for generating tokens. With the library bundled in {@code de.kherud:llama}, half
     * the available processors, at least 1: measured on two cores (bench/README.md section 2), one generating
     * thread decodes a 135M-parameter model 1.5x faster than two there, because every token is a chain of small
     * operations, each ending in an OpenMP barrier, and a second worker competing with the JVM's threads for two
     * cores stalls those barriers. With a library LocaLLM built ({@code backend-llamacpp/native}: no OpenMP, thread
     * pools kept between tokens), all available processors: on the same two cores, two threads decode the same
     * model 1.5x faster than one (section 10). On machines with simultaneous multithreading, the number of physical
     * cores is usually best: set it.
     */
    public static int defaultThreads() {
        int processors = Runtime.getRuntime().availableProcessors();
        return NativeLibrary.isLocalLmBuild() ? processors : Math.max(1, processors / 2);
    }

    /** A builder holding these options. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.threads = threads;
        b.batchThreads = batchThreads;
        b.contextSize = contextSize;
        b.batchSize = batchSize;
        b.gpuLayers = gpuLayers;
        b.parallel = parallel;
        b.chatTemplate = chatTemplate;
        return b;
    }

    /** Threads, or {@link #defaultThreads()} when unset. */
    public int threads() {
        return threads != null ? threads : defaultThreads();
    }

    /** Threads for prompt processing, or all available processors when unset. */
    public int batchThreads() {
        return batchThreads != null ? batchThreads : Runtime.getRuntime().availableProcessors();
    }

    /** Context per request; empty means the model's training context, capped at 4096. */
    public OptionalInt contextSize() {
        return contextSize == null ? OptionalInt.empty() : OptionalInt.of(contextSize);
    }

    /** Tokens of a prompt decoded in one batch. */
    public int batchSize() {
        return batchSize;
    }

    /** Layers offloaded to a GPU; 0 runs on the CPU (a GPU needs a GPU build of the native library). */
    public int gpuLayers() {
        return gpuLayers;
    }

    /** Requests decoded at once, each in its own slot of the context. */
    public int parallel() {
        return parallel;
    }

    /** The operator's chat template, replacing the model's. */
    public Optional<String> chatTemplate() {
        return Optional.ofNullable(chatTemplate);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LlamaCppOptions other && Objects.equals(threads, other.threads)
                && Objects.equals(batchThreads, other.batchThreads) && Objects.equals(contextSize, other.contextSize) && batchSize == other.batchSize
                && gpuLayers == other.gpuLayers && parallel == other.parallel
                && Objects.equals(chatTemplate, other.chatTemplate);
    }

    @Override
    public int hashCode() {
        return Objects.hash(threads, batchThreads, contextSize, batchSize, gpuLayers, parallel, chatTemplate);
    }

    @Override
    public String toString() {
        return "LlamaCppOptions{threads=" + threads() + ", batchThreads=" + batchThreads() + ", contextSize=" + (contextSize == null ? "model" : contextSize)
                + ", batchSize=" + batchSize + ", gpuLayers=" + gpuLayers + ", parallel=" + parallel
                + (chatTemplate == null ? "" : ", chatTemplate=custom") + "}";
    }

    /** Collects options; not thread-safe. */
    public static final class Builder {
        private Integer threads;
        private Integer batchThreads;
        private Integer contextSize;
        private Integer batchSize = 512;
        private int gpuLayers;
        private Integer parallel = 1;
        private String chatTemplate;

        private Builder() {
        }

        /** Threads that generate tokens; {@link #defaultThreads()} by default. */
        public Builder threads(int threads) {
            this.threads = threads;
            return this;
        }

        /** Threads that process prompts; all available processors by default. */
        public Builder batchThreads(int batchThreads) {
            this.batchThreads = batchThreads;
            return this;
        }

        /** Tokens of context per request. */
        public Builder contextSize(int contextSize) {
            this.contextSize = contextSize;
            return this;
        }

        /** Tokens of a prompt decoded in one batch; 512 by default. */
        public Builder batchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        /** Layers offloaded to a GPU; 0 by default. */
        public Builder gpuLayers(int gpuLayers) {
            this.gpuLayers = gpuLayers;
            return this;
        }

        /** Requests decoded at once; 1 by default. */
        public Builder parallel(int parallel) {
            this.parallel = parallel;
            return this;
        }

        /** A chat template (Jinja source) that replaces the model's own. */
        public Builder chatTemplate(String chatTemplate) {
            this.chatTemplate = Objects.requireNonNull(chatTemplate, "chatTemplate");
            return this;
        }

        /** Applies model-URI query parameters over what is set. */
        public Builder parameters(Map<String, String> parameters) {
            parameters.forEach((key, value) -> {
                switch (key) {
                    case "threads" -> threads(ModelLocation.wholeNumber(key, value));
                    case "batch-threads" -> batchThreads(ModelLocation.wholeNumber(key, value));
                    case "ctx", "context-size" -> contextSize(ModelLocation.wholeNumber(key, value));
                    case "batch", "batch-size" -> batchSize(ModelLocation.wholeNumber(key, value));
                    case "gpu-layers", "ngl" -> gpuLayers(ModelLocation.wholeNumber(key, value));
                    case "parallel" -> parallel(ModelLocation.wholeNumber(key, value));
                    default -> throw new InvalidRequestException("unknown llama.cpp model parameter '" + key
                            + "'; known: threads, batch-threads, ctx, batch, gpu-layers, parallel", key);
                }
            });
            return this;
        }

        /** The options, checked. */
        public LlamaCppOptions build() {
            return new LlamaCppOptions(this);
        }
    }
}
