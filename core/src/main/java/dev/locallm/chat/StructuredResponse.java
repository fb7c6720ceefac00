package dev.locallm.chat;

import java.util.Objects;

/**
 * A reply mapped to a Java type, with the response it came from: usage, finish reason and timings, as
 * {@code ChatModel.chatStructured} returns it. Immutable when the value is; thread-safe to share then.
 *
 * <pre>{@code
 * StructuredResponse<Weather> r = model.chatStructured(ChatRequest.of("Weather in Paris?"), Weather.class);
 * Weather w = r.value();
 * int tokens = r.usage().completionTokens();
 * }</pre>
 *
 * @param <T> the type the reply's JSON was mapped to
 */
public final class StructuredResponse<T> {
    private final T value;
    private final ChatResponse response;

    private StructuredResponse(T value, ChatResponse response) {
        this.value = Objects.requireNonNull(value, "value");
        this.response = Objects.requireNonNull(response, "response");
    }

    /** A value and the response whose text it was mapped from. */
    public static <T> StructuredResponse<T> of(T value, ChatResponse response) {
        return new StructuredResponse<>(value, response);
    }

    /** The reply, mapped. */
    public T value() {
        return value;
    }

    /** The response: its text is the JSON the value was mapped from. */
    public ChatResponse response() {
        return response;
    }

    /** Shorthand for {@code response().usage()}. */
    public Usage usage() {
        return response.usage();
    }

    /** Shorthand for {@code response().finishReason()}. */
    public FinishReason finishReason() {
        return response.finishReason();
    }

    /** Shorthand for {@code response().timings()}. */
    public Timings timings() {
        return response.timings();
    }

    @Override
    public String toString() {
        return "StructuredResponse[" + value + ", " + response.finishReason() + ", " + response.usage() + "]";
    }
}
