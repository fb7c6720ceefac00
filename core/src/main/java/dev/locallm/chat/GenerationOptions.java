package dev.locallm.chat;

import dev.locallm.error.InvalidRequestException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.function.Consumer;

/**
 * Sampling and length settings of a generation. Every setting is optional: an unset one falls back to the
 * model's defaults (see {@link dev.locallm.ChatModel#with(GenerationOptions)}), then to the defaults of whoever runs
 * the model: the llama.cpp backend applies llama.cpp's own, a remote server its own and its model's (LocaLLM sends
 * only what was set).
 * Immutable and thread-safe; {@link #builder()} and {@link #toBuilder()} make changed copies, and
 * {@link #overriddenBy(GenerationOptions)} layers one set over another.
 *
 * <pre>{@code
 * GenerationOptions precise = GenerationOptions.builder().temperature(0).seed(42).maxTokens(256).build();
 * }</pre>
 *
 * <p>Values are checked when built; an out-of-range value throws {@link InvalidRequestException} naming the
 * setting.
 */
public final class GenerationOptions {
    /** At most this many stop sequences per request. */
    public static final int MAX_STOP_SEQUENCES = 16;
    /** At most this many characters per stop sequence. */
    public static final int MAX_STOP_SEQUENCE_LENGTH = 512;

    private static final GenerationOptions EMPTY = new Builder().build();

    private final Double temperature;
    private final Double topP;
    private final Integer topK;
    private final Double minP;
    private final Integer maxTokens;
    private final Long seed;
    private final List<String> stop;
    private final Double repeatPenalty;

    private GenerationOptions(Builder b) {
        this.temperature = check(b.temperature, "temperature", 0, Double.MAX_VALUE, true, "a finite number >= 0");
        this.topP = check(b.topP, "topP", 0, 1, false, "in (0, 1]");
        this.minP = check(b.minP, "minP", 0, 1, true, "in [0, 1]");
        this.repeatPenalty = check(b.repeatPenalty, "repeatPenalty", 0, Double.MAX_VALUE, false, "a finite number > 0");
        if (b.topK != null && b.topK < 0) {
            throw new InvalidRequestException("topK must be >= 0 (0 disables it), was " + b.topK, "topK");
        }
        if (b.maxTokens != null && b.maxTokens < 1) {
            throw new InvalidRequestException("maxTokens must be >= 1, was " + b.maxTokens, "maxTokens");
        }
        this.topK = b.topK;
        this.maxTokens = b.maxTokens;
        this.seed = b.seed;
        this.stop = b.stop == null ? null : checkStop(b.stop);
    }

    private static Double check(Double value, String name, double min, double max, boolean minInclusive, String range) {
        if (value == null) {
            return null;
        }
        double v = value;
        boolean ok = Double.isFinite(v) && (minInclusive ? v >= min : v > min) && v <= max;
        if (!ok) {
            throw new InvalidRequestException(name + " must be " + range + ", was " + value, name);
        }
        return value;
    }

    private static List<String> checkStop(List<String> stop) {
        if (stop.size() > MAX_STOP_SEQUENCES) {
            throw new InvalidRequestException("at most " + MAX_STOP_SEQUENCES + " stop sequences are allowed, got "
                    + stop.size(), "stop");
        }
        for (String s : stop) {
            if (s == null || s.isEmpty()) {
                throw new InvalidRequestException("stop sequences must not be null or empty", "stop");
            }
            if (s.length() > MAX_STOP_SEQUENCE_LENGTH) {
                throw new InvalidRequestException("a stop sequence may have at most " + MAX_STOP_SEQUENCE_LENGTH
                        + " characters, got " + s.length(), "stop");
            }
        }
        return List.copyOf(stop);
    }

    /** No setting set: everything falls back. */
    public static GenerationOptions empty() {
        return EMPTY;
    }


    /** A builder with nothing set. */
    public static Builder builder() {
        return new Builder();
    }

    /** Shorthand for building options with a customizer. */
    public static GenerationOptions of(Consumer<Builder> customizer) {
        Builder b = builder();
        customizer.accept(b);
        return b.build();
    }

    /** A builder holding these options. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.temperature = temperature;
        b.topP = topP;
        b.topK = topK;
        b.minP = minP;
        b.maxTokens = maxTokens;
        b.seed = seed;
        b.stop = stop;
        b.repeatPenalty = repeatPenalty;
        return b;
    }

    /**
     * These options with every setting that {@code overrides} sets replaced by its value. Returns {@code this}
     * when {@code overrides} sets nothing.
     */
    public GenerationOptions overriddenBy(GenerationOptions overrides) {
        if (overrides.isEmpty()) {
            return this;
        }
        if (isEmpty()) {
            return overrides;
        }
        Builder b = toBuilder();
        if (overrides.temperature != null) b.temperature = overrides.temperature;
        if (overrides.topP != null) b.topP = overrides.topP;
        if (overrides.topK != null) b.topK = overrides.topK;
        if (overrides.minP != null) b.minP = overrides.minP;
        if (overrides.maxTokens != null) b.maxTokens = overrides.maxTokens;
        if (overrides.seed != null) b.seed = overrides.seed;
        if (overrides.stop != null) b.stop = overrides.stop;
        if (overrides.repeatPenalty != null) b.repeatPenalty = overrides.repeatPenalty;
        return b.build();
    }

    /** Whether no setting is set. */
    public boolean isEmpty() {
        return temperature == null && topP == null && topK == null && minP == null && maxTokens == null
                && seed == null && stop == null && repeatPenalty == null;
    }

    /** Sampling temperature; 0 picks the most likely token every time (greedy). */
    public OptionalDouble temperature() {
        return temperature == null ? OptionalDouble.empty() : OptionalDouble.of(temperature);
    }

    /** Nucleus sampling: keep the smallest set of tokens whose probabilities add up to this. */
    public OptionalDouble topP() {
        return topP == null ? OptionalDouble.empty() : OptionalDouble.of(topP);
    }

    /** Keep only this many most likely tokens; 0 disables the filter. */
    public OptionalInt topK() {
        return topK == null ? OptionalInt.empty() : OptionalInt.of(topK);
    }

    /** Drop tokens less likely than this fraction of the most likely one. */
    public OptionalDouble minP() {
        return minP == null ? OptionalDouble.empty() : OptionalDouble.of(minP);
    }

    /** The most tokens to generate. */
    public OptionalInt maxTokens() {
        return maxTokens == null ? OptionalInt.empty() : OptionalInt.of(maxTokens);
    }

    /** Random seed; with the same seed, prompt and settings a backend generates the same text. */
    public OptionalLong seed() {
        return seed == null ? OptionalLong.empty() : OptionalLong.of(seed);
    }

    /** Sequences that end the generation when produced; they are not part of the returned text. */
    public Optional<List<String>> stop() {
        return Optional.ofNullable(stop);
    }

    /** The stop sequences, or an empty list when none are set. */
    public List<String> stopSequences() {
        return stop == null ? List.of() : stop;
    }

    /** Penalty for repeating recent tokens; 1.0 disables it. */
    public OptionalDouble repeatPenalty() {
        return repeatPenalty == null ? OptionalDouble.empty() : OptionalDouble.of(repeatPenalty);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GenerationOptions other
                && Objects.equals(temperature, other.temperature) && Objects.equals(topP, other.topP)
                && Objects.equals(topK, other.topK) && Objects.equals(minP, other.minP)
                && Objects.equals(maxTokens, other.maxTokens) && Objects.equals(seed, other.seed)
                && Objects.equals(stop, other.stop) && Objects.equals(repeatPenalty, other.repeatPenalty);
    }

    @Override
    public int hashCode() {
        return Objects.hash(temperature, topP, topK, minP, maxTokens, seed, stop, repeatPenalty);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("GenerationOptions{");
        append(sb, "temperature", temperature);
        append(sb, "topP", topP);
        append(sb, "topK", topK);
        append(sb, "minP", minP);
        append(sb, "maxTokens", maxTokens);
        append(sb, "seed", seed);
        append(sb, "stop", stop);
        append(sb, "repeatPenalty", repeatPenalty);
        if (sb.charAt(sb.length() - 1) == ' ') {
            sb.setLength(sb.length() - 2);
        }
        return sb.append('}').toString();
    }

    private static void append(StringBuilder sb, String name, Object value) {
        if (value != null) {
            sb.append(name).append('=').append(value).append(", ");
        }
    }

    /** Collects settings; not thread-safe. {@link #build()} checks them. */
    public static final class Builder {
        private Double temperature;
        private Double topP;
        private Integer topK;
        private Double minP;
        private Integer maxTokens;
        private Long seed;
        private List<String> stop;
        private Double repeatPenalty;

        private Builder() {
        }

        /** Sampling temperature, at least 0; 0 is greedy. */
        public Builder temperature(double temperature) {
            this.temperature = temperature;
            return this;
        }

        /** Nucleus sampling: keep the most likely tokens up to this probability mass, in (0, 1]. */
        public Builder topP(double topP) {
            this.topP = topP;
            return this;
        }

        /** Keep only this many most likely tokens; 0 disables it. */
        public Builder topK(int topK) {
            this.topK = topK;
            return this;
        }

        /** Drop tokens below this fraction of the most likely one's probability, in [0, 1]. */
        public Builder minP(double minP) {
            this.minP = minP;
            return this;
        }

        /** The most tokens to generate, at least 1. */
        public Builder maxTokens(int maxTokens) {
            this.maxTokens = maxTokens;
            return this;
        }

        /** A seed, for repeatable output. */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** Sequences that end the generation; never part of the returned text. */
        public Builder stop(List<String> stop) {
            this.stop = new ArrayList<>(stop);
            return this;
        }

        /** Sequences that end the generation; never part of the returned text. */
        public Builder stop(String... stop) {
            return stop(List.of(stop));
        }

        /** Penalty for repeating tokens, above 0; 1.0 disables it. */
        public Builder repeatPenalty(double repeatPenalty) {
            this.repeatPenalty = repeatPenalty;
            return this;
        }

        /** @throws InvalidRequestException when a value is out of range */
        public GenerationOptions build() {
            return new GenerationOptions(this);
        }
    }
}
