package dev.locallm.springai;

import dev.locallm.tool.ToolChoice;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.model.tool.DefaultToolCallingChatOptions;
import org.springframework.ai.model.tool.StructuredOutputChatOptions;
import org.springframework.ai.model.tool.ToolCallingChatOptions;
import org.springframework.ai.tool.ToolCallback;

/**
 * Spring AI chat options for a LocaLLM model: Spring AI's portable ones (temperature, top-p, top-k, max tokens,
 * stop sequences), tool callbacks, the output schema of native structured output, and LocaLLM's seed and tool
 * choice. Options left unset fall back to the model's defaults. Immutable; thread-safe.
 *
 * <p>Frequency and presence penalties are refused when a request is sent: LocaLLM's models do not implement them
 * (use {@code repeatPenalty} in the wrapped model's defaults).
 */
public final class LocalLmChatOptions extends DefaultToolCallingChatOptions implements StructuredOutputChatOptions {
    private final @Nullable String outputSchema;
    private final @Nullable Long seed;
    private final @Nullable ToolChoice toolChoice;

    private LocalLmChatOptions(Builder<?> b, @Nullable List<ToolCallback> toolCallbacks,
            @Nullable Map<String, Object> toolContext, @Nullable String model, @Nullable Double frequencyPenalty,
            @Nullable Integer maxTokens, @Nullable Double presencePenalty, @Nullable List<String> stopSequences,
            @Nullable Double temperature, @Nullable Integer topK, @Nullable Double topP) {
        super(toolCallbacks, toolContext, model, frequencyPenalty, maxTokens, presencePenalty, stopSequences,
                temperature, topK, topP);
        this.outputSchema = b.outputSchema;
        this.seed = b.seed;
        this.toolChoice = b.toolChoice;
    }

    /** An empty builder. */
    public static Builder<?> builder() {
        return new Builder<>();
    }

    /** The JSON Schema the reply must match, enforced while the model generates; {@code null} for free text. */
    @Override
    public @Nullable String getOutputSchema() {
        return outputSchema;
    }

    /** The sampling seed; {@code null} for the model's default. */
    public @Nullable Long getSeed() {
        return seed;
    }

    /** Whether the model must, may or must not call a tool; {@code null} for auto when tools are given. */
    public @Nullable ToolChoice getToolChoice() {
        return toolChoice;
    }

    /**
     * These options with each one {@code other} sets put over them; a list it sets (stop sequences, tool callbacks)
     * replaces this one's rather than adding to it. Unlike Spring AI's {@code combineWith}, applying the same
     * options twice changes nothing, so options {@code ChatClient} already merged with these defaults come out as
     * they went in.
     */
    public LocalLmChatOptions overriddenBy(ChatOptions other) {
        Builder<?> b = mutate();
        set(other.getModel(), b::model);
        set(other.getFrequencyPenalty(), b::frequencyPenalty);
        set(other.getPresencePenalty(), b::presencePenalty);
        set(other.getMaxTokens(), b::maxTokens);
        set(other.getStopSequences(), b::stopSequences);
        set(other.getTemperature(), b::temperature);
        set(other.getTopK(), b::topK);
        set(other.getTopP(), b::topP);
        if (other instanceof ToolCallingChatOptions tooling) {
            set(tooling.getToolCallbacks(), b::toolCallbacks);
            set(tooling.getToolContext(), b::toolContext);
        }
        if (other instanceof StructuredOutputChatOptions structured) {
            set(structured.getOutputSchema(), b::outputSchema);
        }
        if (other instanceof LocalLmChatOptions local) {
            set(local.seed, b::seed);
            set(local.toolChoice, b::toolChoice);
        }
        return b.build();
    }

    private static <T> void set(@Nullable T value, Consumer<T> setter) {
        if (value != null) {
            setter.accept(value);
        }
    }

    @Override
    public Builder<?> mutate() {
        return builder().model(getModel()).frequencyPenalty(getFrequencyPenalty()).maxTokens(getMaxTokens())
                .presencePenalty(getPresencePenalty()).stopSequences(getStopSequences()).temperature(getTemperature())
                .topK(getTopK()).topP(getTopP()).toolCallbacks(getToolCallbacks()).toolContext(getToolContext())
                .outputSchema(outputSchema).seed(seed).toolChoice(toolChoice);
    }

    @Override
    public boolean equals(@Nullable Object o) {
        return o instanceof LocalLmChatOptions that && super.equals(o)
                && Objects.equals(outputSchema, that.outputSchema) && Objects.equals(seed, that.seed)
                && Objects.equals(toolChoice, that.toolChoice);
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), outputSchema, seed, toolChoice);
    }

    /**
     * Builds {@link LocalLmChatOptions}. Not thread-safe.
     *
     * @param <B> the builder's own type
     */
    public static class Builder<B extends Builder<B>> extends DefaultToolCallingChatOptions.Builder<B>
            implements StructuredOutputChatOptions.Builder<B> {
        private @Nullable String outputSchema;
        private @Nullable Long seed;
        private @Nullable ToolChoice toolChoice;

        /** Use {@link LocalLmChatOptions#builder()}. */
        protected Builder() {
        }

        @Override
        public B outputSchema(@Nullable String outputSchema) {
            this.outputSchema = outputSchema;
            return self();
        }

        /** The sampling seed: the same seed, prompt and options give the same reply on in-process engines. */
        public B seed(@Nullable Long seed) {
            this.seed = seed;
            return self();
        }

        /** Whether the model must ({@link ToolChoice#REQUIRED}, {@link ToolChoice#named}) call a tool. */
        public B toolChoice(@Nullable ToolChoice toolChoice) {
            this.toolChoice = toolChoice;
            return self();
        }

        /**
         * Takes what the other builder sets over this one's; from Spring AI's other option types, their portable
         * options, tools and output schema.
         */
        @Override
        public B combineWith(ChatOptions.Builder<?> other) {
            super.combineWith(other);
            if (other instanceof Builder<?> that) {
                outputSchema = that.outputSchema != null ? that.outputSchema : outputSchema;
                seed = that.seed != null ? that.seed : seed;
                toolChoice = that.toolChoice != null ? that.toolChoice : toolChoice;
            } else if (other instanceof StructuredOutputChatOptions.Builder<?>
                    && other.clone().build() instanceof StructuredOutputChatOptions structured
                    && structured.getOutputSchema() != null) {
                outputSchema = structured.getOutputSchema();
            }
            return self();
        }

        @Override
        public LocalLmChatOptions build() {
            return new LocalLmChatOptions(this, toolCallbacks, toolContext, model, frequencyPenalty, maxTokens,
                    presencePenalty, stopSequences, temperature, topK, topP);
        }
    }
}
