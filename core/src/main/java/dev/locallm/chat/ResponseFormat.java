package dev.locallm.chat;

import dev.locallm.schema.JsonSchema;
import java.util.Objects;
import java.util.Optional;

/**
 * What shape the reply must have: free text, any JSON object, or JSON that validates against a schema. On a
 * local backend, JSON formats are enforced while generating (constrained decoding) and checked again after.
 * Immutable and thread-safe.
 *
 * <pre>{@code
 * ChatRequest request = ChatRequest.builder().user("Weather in Paris?")
 *         .responseFormat(ResponseFormat.jsonSchema(JsonSchema.from(Weather.class)))
 *         .build();
 * }</pre>
 */
public final class ResponseFormat {

    /** The kinds of format. */
    /** The kind of output. */
    public enum Type {
        /** Free text. */
        TEXT,
        /** Any JSON object. */
        JSON_OBJECT,
        /** JSON that validates against a schema. */
        JSON_SCHEMA
    }

    /** Free text (the default). */
    public static final ResponseFormat TEXT = new ResponseFormat(Type.TEXT, "text", null);
    /** Any JSON object. */
    public static final ResponseFormat JSON_OBJECT = new ResponseFormat(Type.JSON_OBJECT, "json_object", null);

    private final Type type;
    private final String name;
    private final JsonSchema schema;

    private ResponseFormat(Type type, String name, JsonSchema schema) {
        this.type = type;
        this.name = name;
        this.schema = schema;
    }

    /** JSON that validates against {@code schema}. */
    public static ResponseFormat jsonSchema(JsonSchema schema) {
        return jsonSchema("response", schema);
    }

    /** JSON that validates against {@code schema}; {@code name} identifies it (as in the OpenAI API). */
    public static ResponseFormat jsonSchema(String name, JsonSchema schema) {
        return new ResponseFormat(Type.JSON_SCHEMA, Objects.requireNonNull(name, "name"),
                Objects.requireNonNull(schema, "schema"));
    }

    /** The kind of output. */
    public Type type() {
        return type;
    }

    /** The schema's name, as OpenAI's {@code json_schema.name}; {@code "response"} unless given. */
    public String name() {
        return name;
    }

    /** The schema, for {@link Type#JSON_SCHEMA}. */
    public Optional<JsonSchema> schema() {
        return Optional.ofNullable(schema);
    }

    /** Whether replies must be JSON. */
    public boolean isJson() {
        return type != Type.TEXT;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ResponseFormat f && type == f.type && name.equals(f.name) && Objects.equals(schema, f.schema);
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, name, schema);
    }

    @Override
    public String toString() {
        return type == Type.JSON_SCHEMA ? "json_schema(" + name + ")" : name;
    }
}
