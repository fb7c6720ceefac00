package dev.locallm.chat;

import dev.locallm.schema.SchemaAssertion;
import dev.locallm.tool.ToolCall;
import java.util.List;
import java.util.Objects;

/**
 * The complete result of one chat generation: the assistant turn, why it ended, token counts and timings.
 * Immutable and thread-safe; {@link #builder()} makes one (backends and tests do; callers receive them).
 *
 * <pre>{@code
 * ChatResponse r = model.chat(request);
 * conversation.add(r.message());          // continue the conversation with the assistant turn
 * if (r.finishReason() == FinishReason.LENGTH) { ... }
 * }</pre>
 */
public final class ChatResponse {
    private final AssistantMessage message;
    private final FinishReason finishReason;
    private final Usage usage;
    private final Timings timings;
    private final List<SchemaAssertion> validatedAssertions;
    private final int attempts;

    private ChatResponse(Builder b) {
        this.message = Objects.requireNonNull(b.message, "message");
        this.finishReason = Objects.requireNonNull(b.finishReason, "finishReason");
        this.usage = Objects.requireNonNull(b.usage, "usage");
        this.timings = Objects.requireNonNull(b.timings, "timings");
        this.validatedAssertions = List.copyOf(b.validatedAssertions);
        this.attempts = b.attempts;
    }

    /** A builder with no message, no usage and {@link Timings#NONE}; message, finish reason and usage must be set. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this response's values. */
    public Builder toBuilder() {
        return new Builder().message(message).finishReason(finishReason).usage(usage).timings(timings)
                .validatedAssertions(validatedAssertions).attempts(attempts);
    }

    /** The assistant turn: text and tool calls; append it to the conversation to continue it. */
    public AssistantMessage message() {
        return message;
    }

    /** Why generation ended. */
    public FinishReason finishReason() {
        return finishReason;
    }

    /** Token counts. */
    public Usage usage() {
        return usage;
    }

    /** Time to first token, total time and decode speed. */
    public Timings timings() {
        return timings;
    }

    /**
     * The assertions of the response format's schema, or of a forced tool call's parameters, that constrained
     * decoding did not enforce and validation checked after generation; empty when the grammar enforced the
     * whole schema (or no schema applied).
     */
    public List<SchemaAssertion> validatedAssertions() {
        return validatedAssertions;
    }

    /**
     * How many generations this reply took: 1, or more when earlier replies failed validation and were sampled
     * again or re-asked. {@link #usage()} and {@link #timings()} are the last generation's.
     */
    public int attempts() {
        return attempts;
    }

    /** The reply text; shorthand for {@code message().text()}. */
    public String text() {
        return message.text();
    }

    /** The tool calls of the reply; shorthand for {@code message().toolCalls()}. */
    public List<ToolCall> toolCalls() {
        return message.toolCalls();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ChatResponse r && message.equals(r.message) && finishReason == r.finishReason
                && usage.equals(r.usage) && timings.equals(r.timings) && validatedAssertions.equals(r.validatedAssertions)
                && attempts == r.attempts;
    }

    @Override
    public int hashCode() {
        return Objects.hash(message, finishReason, usage, timings, validatedAssertions, attempts);
    }

    @Override
    public String toString() {
        return "ChatResponse[" + finishReason + ", " + usage + ", " + message + "]";
    }

    /** Builds a {@link ChatResponse}. Not thread-safe. */
    public static final class Builder {
        private AssistantMessage message;
        private FinishReason finishReason;
        private Usage usage;
        private Timings timings = Timings.NONE;
        private List<SchemaAssertion> validatedAssertions = List.of();
        private int attempts = 1;

        private Builder() {
        }

        /** The assistant turn. */
        public Builder message(AssistantMessage message) {
            this.message = Objects.requireNonNull(message, "message");
            return this;
        }

        /** Why generation ended. */
        public Builder finishReason(FinishReason finishReason) {
            this.finishReason = Objects.requireNonNull(finishReason, "finishReason");
            return this;
        }

        /** Token counts. */
        public Builder usage(Usage usage) {
            this.usage = Objects.requireNonNull(usage, "usage");
            return this;
        }

        /** Timings; {@link Timings#NONE} unless set. */
        public Builder timings(Timings timings) {
            this.timings = Objects.requireNonNull(timings, "timings");
            return this;
        }

        /** The assertions validation checked after generation; none unless set. */
        public Builder validatedAssertions(List<SchemaAssertion> assertions) {
            this.validatedAssertions = List.copyOf(assertions);
            return this;
        }

        /** How many generations the reply took; 1 unless set. */
        public Builder attempts(int attempts) {
            if (attempts < 1) {
                throw new IllegalArgumentException("attempts must be at least 1, not " + attempts);
            }
            this.attempts = attempts;
            return this;
        }

        /** @throws NullPointerException when the message, finish reason or usage is not set */
        public ChatResponse build() {
            return new ChatResponse(this);
        }
    }
}
