package dev.locallm.tool;

import dev.locallm.error.InvalidRequestException;
import dev.locallm.schema.JsonSchema;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A tool the model may call: a name, what it does, and the JSON schema of its arguments (an object).
 * Immutable and thread-safe. Build one explicitly, or from annotated methods with {@code dev.locallm.agent.ToolMethods}.
 *
 * <pre>{@code
 * ToolSpec weather = ToolSpec.builder()
 *         .name("get_weather")
 *         .description("Current weather in a city")
 *         .parameters(JsonSchema.parse("{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},"
 *                 + "\"required\":[\"city\"]}"))
 *         .build();
 * }</pre>
 */
public final class ToolSpec {
    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9_-]{1,64}");
    private static final JsonSchema NO_PARAMETERS = JsonSchema.parse("{\"type\":\"object\",\"properties\":{},"
            + "\"additionalProperties\":false}");

    private final String name;
    private final String description;
    private final JsonSchema parameters;

    private ToolSpec(Builder b) {
        if (b.name == null || !NAME.matcher(b.name).matches()) {
            throw new InvalidRequestException("a tool name must be 1 to 64 letters, digits, '_' or '-', was '" + b.name
                    + "'", "tools");
        }
        this.name = b.name;
        this.description = b.description;
        this.parameters = b.parameters;
    }

    /** A builder with no name, no description and parameters {@code {"type":"object"}}. */
    public static Builder builder() {
        return new Builder();
    }

    /** A tool of this name, description and parameter schema. */
    public static ToolSpec of(String name, String description, JsonSchema parameters) {
        return builder().name(name).description(description).parameters(parameters).build();
    }

    /** The name the model calls it by. */
    public String name() {
        return name;
    }

    /** What the tool does, for the model; empty when not given. */
    public String description() {
        return description;
    }

    /** Schema of the arguments object. */
    public JsonSchema parameters() {
        return parameters;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ToolSpec t && name.equals(t.name) && description.equals(t.description)
                && parameters.equals(t.parameters);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, description, parameters);
    }

    @Override
    public String toString() {
        return "ToolSpec[" + name + "]";
    }

    /** Collects a tool; not thread-safe. */
    public static final class Builder {
        private String name;
        private String description = "";
        private JsonSchema parameters = NO_PARAMETERS;

        private Builder() {
        }

        /** The name the model calls it by: letters, digits, {@code _} and {@code -}. */
        public Builder name(String name) {
            this.name = name;
            return this;
        }

        /** What the tool does, for the model. */
        public Builder description(String description) {
            this.description = Objects.requireNonNull(description, "description");
            return this;
        }

        /** The JSON schema of its arguments, an object schema. */
        public Builder parameters(JsonSchema parameters) {
            this.parameters = Objects.requireNonNull(parameters, "parameters");
            return this;
        }

        /** @throws InvalidRequestException when the name is not valid */
        public ToolSpec build() {
            return new ToolSpec(this);
        }
    }
}
