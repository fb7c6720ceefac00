package dev.locallm.openai;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * An error as OpenAI-compatible servers answer it: {@code {"error": {"message", "type", "param", "code"}}}, with
 * what a client needs as data, never to be parsed from the message: the numbers of a context-length error
 * ({@code n_prompt_tokens} and {@code n_ctx}, as llama-server names them, and {@code max_tokens}), and where and
 * why a schema cannot be enforced ({@code keyword}, {@code pointer}, {@code reason}). Immutable; built with
 * {@link #builder}.
 */
public final class ErrorBody {
    /** OpenAI's {@code code} for a request that does not fit the context window. */
    public static final String CONTEXT_LENGTH_EXCEEDED = "context_length_exceeded";
    /** LocaLLM's {@code code} for a JSON schema that cannot be enforced; the fields say where and why. */
    public static final String UNSUPPORTED_SCHEMA = "unsupported_schema";

    private final String message;
    private final String type;
    private final String param;
    private final String code;
    private final Integer promptTokens;
    private final Integer contextLength;
    private final Integer maxTokens;
    private final String keyword;
    private final String pointer;
    private final String reason;

    private ErrorBody(Builder b) {
        this.message = b.message;
        this.type = b.type;
        this.param = b.param;
        this.code = b.code;
        this.promptTokens = b.promptTokens;
        this.contextLength = b.contextLength;
        this.maxTokens = b.maxTokens;
        this.keyword = b.keyword;
        this.pointer = b.pointer;
        this.reason = b.reason;
    }

    /** An error with this message and OpenAI {@code type} (such as {@code invalid_request_error}). */
    public static Builder builder(String type, String message) {
        return new Builder(type, message);
    }

    /** What went wrong, for a person. */
    public String message() {
        return message;
    }

    /** OpenAI's {@code type}; empty when the server sent none. */
    public String type() {
        return type;
    }

    /** The request parameter at fault. */
    public Optional<String> param() {
        return Optional.ofNullable(param);
    }

    /** The machine-readable {@code code} (a number some servers send is read as its text). */
    public Optional<String> code() {
        return Optional.ofNullable(code);
    }

    /** Tokens of the prompt, on a context-length error that says so. */
    public OptionalInt promptTokens() {
        return promptTokens == null ? OptionalInt.empty() : OptionalInt.of(promptTokens);
    }

    /** Tokens the context window holds, on a context-length error that says so. */
    public OptionalInt contextLength() {
        return contextLength == null ? OptionalInt.empty() : OptionalInt.of(contextLength);
    }

    /** The completion tokens the request asked for, on a context-length error that says so. */
    public OptionalInt maxTokens() {
        return maxTokens == null ? OptionalInt.empty() : OptionalInt.of(maxTokens);
    }

    /** The schema keyword that cannot be enforced, on an {@link #UNSUPPORTED_SCHEMA} error that says so. */
    public Optional<String> keyword() {
        return Optional.ofNullable(keyword);
    }

    /** JSON pointer of the schema object holding that keyword. */
    public Optional<String> pointer() {
        return Optional.ofNullable(pointer);
    }

    /** Why that keyword cannot be enforced. */
    public Optional<String> reason() {
        return Optional.ofNullable(reason);
    }

    /** Whether this is a context-length error that gives its numbers. */
    public boolean isContextLengthExceeded() {
        return promptTokens != null && contextLength != null;
    }

    @Override
    public String toString() {
        return "ErrorBody[" + type + (code == null ? "" : "/" + code) + ": " + message + "]";
    }

    /** Builds an {@link ErrorBody}. Not thread-safe. */
    public static final class Builder {
        private final String type;
        private final String message;
        private String param;
        private String code;
        private Integer promptTokens;
        private Integer contextLength;
        private Integer maxTokens;
        private String keyword;
        private String pointer;
        private String reason;

        private Builder(String type, String message) {
            this.type = Objects.requireNonNull(type, "type");
            this.message = Objects.requireNonNull(message, "message");
        }

        /** The request parameter at fault, or {@code null} for none. */
        public Builder param(String param) {
            this.param = param;
            return this;
        }

        /** The machine-readable code, or {@code null} for none. */
        public Builder code(String code) {
            this.code = code;
            return this;
        }

        /**
         * The numbers of a context-length error.
         *
         * @param maxTokens the completion tokens asked for; 0 when the request set none
         */
        public Builder contextLength(int promptTokens, int contextLength, int maxTokens) {
            this.promptTokens = promptTokens;
            this.contextLength = contextLength;
            this.maxTokens = maxTokens > 0 ? maxTokens : null;
            return this;
        }

        /** Where and why a JSON schema cannot be enforced. */
        public Builder unsupportedSchema(String keyword, String pointer, String reason) {
            this.keyword = Objects.requireNonNull(keyword, "keyword");
            this.pointer = Objects.requireNonNull(pointer, "pointer");
            this.reason = Objects.requireNonNull(reason, "reason");
            return this;
        }

        /** The error body. */
        public ErrorBody build() {
            return new ErrorBody(this);
        }
    }
}
