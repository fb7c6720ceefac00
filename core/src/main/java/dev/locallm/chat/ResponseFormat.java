package dev.locallm.chat;

import dev.locallm.schema.JsonSchema;
import java.util.Objects;
import java.util.Optional;

/**
 * What shape the reply must have: free text, any JSON object, or JSON that validates against a schema. On a
 * local backend, JSON formats are enforced while generating (constrained decoding) and checked again after.
 *
 * <p>A grammar enforces most of JSON Schema; what no grammar can ({@code uniqueItems}, {@code not},
 * {@code if}/{@code then}/{@code else}, {@code oneOf} whose branches overlap, {@code multipleOf} on decimals...) the
 * validator checks after generation, and a blocking call that fails that check samples the reply again, up to
 * three more times, before it throws {@link dev.locallm.error.StructuredOutputException} with every attempt's
 * text. {@link dev.locallm.chat.ChatResponse#validatedAssertions()} says which assertions were left to validation.
 * A {@link #grammarOnly()} format refuses such a schema before generating instead. Immutable and thread-safe.
 *
 * <pre>{@code
 * ChatRequest request = ChatRequest.builder().user("Weather in Paris?")
 *         .responseFormat(ResponseFormat.jsonSchema(JsonSchema.from(Weather.class)))
 *         .build();
 * }</pre>
 */
public final class ResponseFormat {

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
    public static final ResponseFormat TEXT = new ResponseFormat(Type.TEXT, "text", null, false);
    /** Any JSON object. */
    public static final ResponseFormat JSON_OBJECT = new ResponseFormat(Type.JSON_OBJECT, "json_object", null, false);

    private final Type type;
    private final String name;
    private final JsonSchema schema;
    private final boolean grammarOnly;

    private ResponseFormat(Type type, String name, JsonSchema schema, boolean grammarOnly) {
        this.type = type;
        this.name = name;
        this.schema = schema;
        this.grammarOnly = grammarOnly;
    }

    /** JSON that validates against {@code schema}. */
    public static ResponseFormat jsonSchema(JsonSchema schema) {
        return jsonSchema("response", schema);
    }

    /** JSON that validates against {@code schema}; {@code name} identifies it (as in the OpenAI API). */
    public static ResponseFormat jsonSchema(String name, JsonSchema schema) {
        return new ResponseFormat(Type.JSON_SCHEMA, Objects.requireNonNull(name, "name"),
                Objects.requireNonNull(schema, "schema"), false);
    }

    /**
     * This format, enforced by the grammar alone: a schema with an assertion that constrained decoding cannot
     * enforce is refused before generating ({@link dev.locallm.error.UnsupportedSchemaException}), so no reply
     * is ever sampled twice. For engines that enforce schemas with a grammar (llama.cpp); others ignore it.
     */
    public ResponseFormat grammarOnly() {
        return new ResponseFormat(type, name, schema, true);
    }

    /** Whether {@link #grammarOnly()} applies. */
    public boolean isGrammarOnly() {
        return grammarOnly;
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
        return o instanceof ResponseFormat f && type == f.type && name.equals(f.name) && Objects.equals(schema, f.schema)
                && grammarOnly == f.grammarOnly;
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, name, schema, grammarOnly);
    }

    @Override
    public String toString() {
        return (type == Type.JSON_SCHEMA ? "json_schema(" + name + ")" : name) + (grammarOnly ? ", grammar only" : "");
    }
}
