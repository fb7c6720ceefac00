package dev.locallm.chat;

import java.util.Objects;

/**
 * What a loaded model and its backend can do. Immutable and thread-safe; backends build it with
 * {@link #builder(String, String)}, callers read it from {@code ChatModel.capabilities()}.
 *
 * <pre>{@code
 * ModelCapabilities c = ModelCapabilities.builder("qwen2.5-0.5b", "llama.cpp").contextLength(4096)
 *         .tools(true).structuredOutput(true).build();
 * }</pre>
 */
public final class ModelCapabilities {
    private final String modelName;
    private final String backend;
    private final int contextLength;
    private final int parallelRequests;
    private final boolean streaming;
    private final boolean tools;
    private final boolean structuredOutput;

    private ModelCapabilities(Builder b) {
        this.modelName = b.modelName;
        this.backend = b.backend;
        this.contextLength = b.contextLength;
        this.parallelRequests = b.parallelRequests;
        this.streaming = b.streaming;
        this.tools = b.tools;
        this.structuredOutput = b.structuredOutput;
    }

    /**
     * A builder for a model of this name served by this backend; the rest defaults to: context length unknown (0),
     * one request at a time, streaming, no tools, no schema enforcement.
     */
    public static Builder builder(String modelName, String backend) {
        return new Builder(modelName, backend);
    }

    /** The model's name (from its metadata, its file name, or what a server calls it). */
    public String modelName() {
        return modelName;
    }

    /** The backend serving it, such as {@code "llama.cpp"}. */
    public String backend() {
        return backend;
    }

    /** Tokens the context window of one request holds (prompt and completion); 0 when unknown. */
    public int contextLength() {
        return contextLength;
    }

    /** How many generations run at the same time; more wait their turn. */
    public int parallelRequests() {
        return parallelRequests;
    }

    /** Whether generations stream token by token. */
    public boolean streaming() {
        return streaming;
    }

    /** Whether the backend handles tool definitions and tool calls. */
    public boolean tools() {
        return tools;
    }

    /**
     * Whether the backend constrains output to a JSON schema and a forced tool choice while generating; otherwise
     * core checks the result and re-asks as the backend allows.
     */
    public boolean structuredOutput() {
        return structuredOutput;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ModelCapabilities c && modelName.equals(c.modelName) && backend.equals(c.backend)
                && contextLength == c.contextLength && parallelRequests == c.parallelRequests
                && streaming == c.streaming && tools == c.tools && structuredOutput == c.structuredOutput;
    }

    @Override
    public int hashCode() {
        return Objects.hash(modelName, backend, contextLength, parallelRequests, streaming, tools, structuredOutput);
    }

    @Override
    public String toString() {
        return "ModelCapabilities[" + modelName + " on " + backend + ", context " + contextLength + ", parallel "
                + parallelRequests + (tools ? ", tools" : "") + (structuredOutput ? ", structured output" : "") + "]";
    }

    /** Builds {@link ModelCapabilities}. Not thread-safe. */
    public static final class Builder {
        private final String modelName;
        private final String backend;
        private int contextLength;
        private int parallelRequests = 1;
        private boolean streaming = true;
        private boolean tools;
        private boolean structuredOutput;

        private Builder(String modelName, String backend) {
            this.modelName = Objects.requireNonNull(modelName, "modelName");
            this.backend = Objects.requireNonNull(backend, "backend");
        }

        /** Tokens one request's context window holds; 0 when unknown. */
        public Builder contextLength(int tokens) {
            if (tokens < 0) {
                throw new IllegalArgumentException("contextLength must be >= 0, was " + tokens);
            }
            this.contextLength = tokens;
            return this;
        }

        /** How many generations run at once; at least 1. */
        public Builder parallelRequests(int requests) {
            if (requests < 1) {
                throw new IllegalArgumentException("parallelRequests must be >= 1, was " + requests);
            }
            this.parallelRequests = requests;
            return this;
        }

        /** Whether generations stream token by token; true by default. */
        public Builder streaming(boolean streaming) {
            this.streaming = streaming;
            return this;
        }

        /** Whether the backend handles tools; false by default. */
        public Builder tools(boolean tools) {
            this.tools = tools;
            return this;
        }

        /** Whether the backend constrains output to schemas and forced tool choices; false by default. */
        public Builder structuredOutput(boolean structuredOutput) {
            this.structuredOutput = structuredOutput;
            return this;
        }

        /** The capabilities. */
        public ModelCapabilities build() {
            return new ModelCapabilities(this);
        }
    }
}
