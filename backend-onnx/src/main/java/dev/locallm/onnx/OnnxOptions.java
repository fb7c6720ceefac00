package dev.locallm.onnx;

import dev.locallm.error.InvalidRequestException;
import dev.locallm.spi.BackendOptions;
import dev.locallm.spi.ModelLocation;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * How the ONNX Runtime backend loads a model folder. Immutable and thread-safe; unset values take the defaults
 * below. Model URIs may set the same options as query parameters:
 * {@code onnx:/models/qwen-onnx?threads=4&device=cpu&ctx=2048&parallel=2}.
 *
 * <pre>{@code
 * OnnxOptions options = OnnxOptions.builder().threads(4).device(OnnxOptions.Device.CPU).build();
 * ChatModel model = LocalLm.builder().model("onnx:/models/m").backendOptions(options).buildChatModel();
 * }</pre>
 *
 * <ul>
 *   <li>{@code threads}: ONNX Runtime intra-op threads; default {@link #defaultThreads()}.
 *   <li>{@code device}: {@link Device#CPU} (default) or {@link Device#CUDA}. CUDA needs the GPU build of ONNX
 *       Runtime ({@code com.microsoft.onnxruntime:onnxruntime_gpu} instead of {@code onnxruntime}) and a GPU;
 *       without them loading fails with {@link dev.locallm.error.BackendUnavailableException}.
 *   <li>{@code deviceId}: the CUDA device; default 0.
 *   <li>{@code contextSize}: tokens of context for each request (prompt plus completion); default the model's
 *       ({@code context_length} of {@code genai_config.json}, else {@code max_position_embeddings}).
 *   <li>{@code parallel}: generations that run at once, each as its own ONNX Runtime run with its own KV cache
 *       (not batched); default 1. More concurrent requests wait their turn.
 *   <li>{@code chatTemplate}: a Jinja chat template that replaces the model's own; default the
 *       {@code chat_template} of {@code tokenizer_config.json}, or ChatML when it has none.
 * </ul>
 */
public final class OnnxOptions implements BackendOptions {
    private static final OnnxOptions DEFAULTS = builder().build();

    /** Where ONNX Runtime runs the model. */
    public enum Device {
        /** The CPU execution provider, in every build of ONNX Runtime. */
        CPU,
        /** The CUDA execution provider, in the {@code onnxruntime_gpu} build only. */
        CUDA
    }

    private final Integer threads;
    private final Device device;
    private final int deviceId;
    private final Integer contextSize;
    private final int parallel;
    private final String chatTemplate;

    private OnnxOptions(Builder b) {
        this.threads = positive(b.threads, "threads");
        this.contextSize = positive(b.contextSize, "contextSize");
        this.parallel = positive(b.parallel, "parallel");
        if (parallel > 64) {
            throw new InvalidRequestException("parallel must be at most 64, was " + parallel, "parallel");
        }
        if (b.deviceId < 0) {
            throw new InvalidRequestException("deviceId must be >= 0, was " + b.deviceId, "deviceId");
        }
        this.device = b.device;
        this.deviceId = b.deviceId;
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
    public static OnnxOptions defaults() {
        return DEFAULTS;
    }

    /**
     * Options from model-URI query parameters: {@code threads}, {@code device} ({@code cpu} or {@code cuda}),
     * {@code device-id}, {@code ctx}, {@code parallel}.
     *
     * @throws InvalidRequestException on an unknown parameter or a bad value
     */
    public static OnnxOptions fromParameters(Map<String, String> parameters) {
        return builder().parameters(parameters).build();
    }

    /** The default intra-op thread count: half the available processors, at least 1 (as the llama.cpp backend). */
    public static int defaultThreads() {
        return Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
    }

    /** A builder holding these options. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.threads = threads;
        b.device = device;
        b.deviceId = deviceId;
        b.contextSize = contextSize;
        b.parallel = parallel;
        b.chatTemplate = chatTemplate;
        return b;
    }

    /** Intra-op threads, or {@link #defaultThreads()} when unset. */
    public int threads() {
        return threads != null ? threads : defaultThreads();
    }

    /** The execution provider. */
    public Device device() {
        return device;
    }

    /** The CUDA device number, when {@link #device()} is CUDA. */
    public int deviceId() {
        return deviceId;
    }

    /** Context per request; empty means the model's. */
    public OptionalInt contextSize() {
        return contextSize == null ? OptionalInt.empty() : OptionalInt.of(contextSize);
    }

    /** Generations that run at once; the rest wait. */
    public int parallel() {
        return parallel;
    }

    /** The operator's chat template, replacing the model's. */
    public Optional<String> chatTemplate() {
        return Optional.ofNullable(chatTemplate);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof OnnxOptions other && Objects.equals(threads, other.threads) && device == other.device
                && deviceId == other.deviceId && Objects.equals(contextSize, other.contextSize)
                && parallel == other.parallel && Objects.equals(chatTemplate, other.chatTemplate);
    }

    @Override
    public int hashCode() {
        return Objects.hash(threads, device, deviceId, contextSize, parallel, chatTemplate);
    }

    @Override
    public String toString() {
        return "OnnxOptions{threads=" + threads() + ", device=" + device.name().toLowerCase(Locale.ROOT)
                + (device == Device.CUDA ? ":" + deviceId : "") + ", contextSize="
                + (contextSize == null ? "model" : contextSize) + ", parallel=" + parallel
                + (chatTemplate == null ? "" : ", chatTemplate=custom") + "}";
    }

    /** Collects options; not thread-safe. */
    public static final class Builder {
        private Integer threads;
        private Device device = Device.CPU;
        private int deviceId;
        private Integer contextSize;
        private Integer parallel = 1;
        private String chatTemplate;

        private Builder() {
        }

        /** ONNX Runtime intra-op threads; half the available processors (at least 1) by default. */
        public Builder threads(int threads) {
            this.threads = threads;
            return this;
        }

        /** The execution provider; CPU by default. */
        public Builder device(Device device) {
            this.device = Objects.requireNonNull(device, "device");
            return this;
        }

        /** The CUDA device number; 0 by default. */
        public Builder deviceId(int deviceId) {
            this.deviceId = deviceId;
            return this;
        }

        /** Tokens of context per request; the model's by default. */
        public Builder contextSize(int contextSize) {
            this.contextSize = contextSize;
            return this;
        }

        /** Generations that run at once; 1 by default. */
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
                    case "device" -> device(parseDevice(value));
                    case "device-id" -> deviceId(ModelLocation.wholeNumber(key, value));
                    case "ctx", "context-size" -> contextSize(ModelLocation.wholeNumber(key, value));
                    case "parallel" -> parallel(ModelLocation.wholeNumber(key, value));
                    default -> throw new InvalidRequestException("unknown ONNX model parameter '" + key
                            + "'; known: threads, device, device-id, ctx, parallel", key);
                }
            });
            return this;
        }

        private static Device parseDevice(String value) {
            return switch (value.toLowerCase(Locale.ROOT)) {
                case "cpu" -> Device.CPU;
                case "cuda", "gpu" -> Device.CUDA;
                default -> throw new InvalidRequestException("model parameter 'device' must be cpu or cuda, was '"
                        + value + "'", "device");
            };
        }

        /** The options, checked. */
        public OnnxOptions build() {
            return new OnnxOptions(this);
        }
    }
}
