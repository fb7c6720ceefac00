package dev.locallm.schema;

import com.github.victools.jsonschema.generator.FieldScope;
import com.github.victools.jsonschema.generator.Option;
import com.github.victools.jsonschema.generator.OptionPreset;
import com.github.victools.jsonschema.generator.SchemaGenerator;
import com.github.victools.jsonschema.generator.SchemaGeneratorConfigBuilder;
import com.github.victools.jsonschema.generator.SchemaVersion;
import dev.locallm.error.InvalidRequestException;
import java.lang.reflect.Type;
import java.math.BigDecimal;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A JSON Schema document (draft 2020-12 unless it names or evidently is another, see {@link #draft()}): what
 * structured output must look like. Immutable and thread-safe.
 *
 * <pre>{@code
 * record Weather(@Description("City name") String city, int temperature, Optional<String> note) { }
 *
 * JsonSchema schema = JsonSchema.from(Weather.class);
 * JsonSchema same = JsonSchema.parse("{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}");
 * }</pre>
 *
 * <p>{@link #from(Type)} maps records, classes with fields, enums, {@code List}/{@code Set}/arrays,
 * {@code Map<String, T>} ({@code additionalProperties}), {@code Optional} (not required) and nested or recursive
 * types ({@code $defs} and {@code $ref}); every other field is required, and objects allow no other
 * properties. {@link Description} becomes {@code description}.
 */
public final class JsonSchema {
    private static final SchemaGenerator GENERATOR = generator();
    private static final ClassValue<JsonSchema> OF_CLASS = new ClassValue<>() {
        @Override
        protected JsonSchema computeValue(Class<?> type) {
            return new JsonSchema(JsonMapper.shared().writeValueAsString(GENERATOR.generateSchema(type)));
        }
    };

    private final String json;
    /** Compiled for validation when parsed, or on first use. */
    private volatile com.networknt.schema.Schema validator;
    /** Found on first use. */
    private volatile Optional<SchemaDraft> draft;

    private JsonSchema(String json) {
        this.json = json;
    }

    /**
     * A schema from its JSON text: an object or a boolean.
     *
     * @throws InvalidRequestException when it is not valid JSON, not an object or boolean, malformed (a keyword
     *                                 with a value of the wrong type, such as {@code "type": 5}), or cannot be
     *                                 compiled for validation: output is never generated for a schema it could
     *                                 not then be checked against
     */
    public static JsonSchema parse(String json) {
        Objects.requireNonNull(json, "json");
        JsonNode node;
        try {
            node = JsonMapper.shared().readTree(json);
        } catch (JacksonException e) {
            throw new InvalidRequestException("the JSON schema is not valid JSON: " + e.getOriginalMessage(),
                    "response_format");
        }
        if (node == null || !(node.isObject() || node.isBoolean())) {
            throw new InvalidRequestException("a JSON schema must be an object or a boolean", "response_format");
        }
        String problem = SchemaShape.problem(node);
        if (problem != null) {
            throw new InvalidRequestException("the JSON schema is malformed at " + problem, "response_format");
        }
        JsonSchema schema = new JsonSchema(JsonMapper.shared().writeValueAsString(node));
        schema.validator = SchemaValidator.load(schema.json);
        return schema;
    }

    /** The schema of a Java type, for structured output mapped back to that type. */
    public static JsonSchema from(Type type) {
        Objects.requireNonNull(type, "type");
        if (type instanceof Class<?> c) {
            return OF_CLASS.get(c);
        }
        return new JsonSchema(JsonMapper.shared().writeValueAsString(GENERATOR.generateSchema(type)));
    }

    private static SchemaGenerator generator() {
        SchemaGeneratorConfigBuilder config = new SchemaGeneratorConfigBuilder(JsonMapper.shared(), SchemaVersion.DRAFT_2020_12,
                OptionPreset.PLAIN_JSON)
                .with(Option.FORBIDDEN_ADDITIONAL_PROPERTIES_BY_DEFAULT, Option.FLATTENED_OPTIONALS,
                        Option.FLATTENED_ENUMS, Option.MAP_VALUES_AS_ADDITIONAL_PROPERTIES)
                .without(Option.SCHEMA_VERSION_INDICATOR);
        config.forFields().withRequiredCheck(field -> !isOptional(field));
        config.forTypesInGeneral().withNumberInclusiveMinimumResolver(scope -> javaIntegerBound(scope.getType().getErasedType(), true));
        config.forTypesInGeneral().withNumberInclusiveMaximumResolver(scope -> javaIntegerBound(scope.getType().getErasedType(), false));
        config.forFields().withDescriptionResolver(field -> Optional.ofNullable(
                field.getAnnotationConsideringFieldAndGetter(Description.class)).map(Description::value).orElse(null));
        config.forTypesInGeneral().withDescriptionResolver(scope -> Optional.ofNullable(
                scope.getType().getErasedType().getAnnotation(Description.class)).map(Description::value).orElse(null));
        return new SchemaGenerator(config.build());
    }

    /** The range of Java's fixed-size integer types, so that generated numbers fit the field. */
    private static BigDecimal javaIntegerBound(Class<?> type, boolean lower) {
        long bound;
        if (type == int.class || type == Integer.class) {
            bound = lower ? Integer.MIN_VALUE : Integer.MAX_VALUE;
        } else if (type == short.class || type == Short.class) {
            bound = lower ? Short.MIN_VALUE : Short.MAX_VALUE;
        } else if (type == byte.class || type == Byte.class) {
            bound = lower ? Byte.MIN_VALUE : Byte.MAX_VALUE;
        } else {
            return null;
        }
        return BigDecimal.valueOf(bound);
    }

    private static boolean isOptional(FieldScope field) {
        return field.getType() != null && field.getType().getErasedType() == Optional.class;
    }

    /**
     * The ways {@code json} breaks this schema: empty when it is valid. Text that is not JSON gives one error saying
     * so. Validation follows the draft the schema's {@code $schema} names (4, 6, 7, 2019-09 or 2020-12; else
     * 2020-12), with formats asserted, and nothing is fetched over the network. A parsed schema was compiled for
     * validation when it was parsed; one made from a type is compiled on first use.
     *
     * @throws InvalidRequestException when the schema cannot be compiled for validation
     */
    public List<String> validate(String json) {
        Objects.requireNonNull(json, "json");
        com.networknt.schema.Schema compiled = validator;
        if (compiled == null) {
            compiled = SchemaValidator.load(this.json);
            validator = compiled;
        }
        return SchemaValidator.validate(compiled, json);
    }

    /**
     * The draft the schema is read in, by validation and by grammars alike: the one its {@code $schema} names, else
     * the one it evidently is (draft 4 for a boolean {@code exclusiveMinimum}, 2019-09 for an {@code items}
     * array); empty when neither, and 2020-12 applies.
     */
    public Optional<SchemaDraft> draft() {
        Optional<SchemaDraft> found = draft;
        if (found == null) {
            found = SchemaDraft.of(JsonMapper.shared().readTree(json));
            draft = found;
        }
        return found;
    }

    /** The schema as compact JSON text. */
    public String toJson() {
        return json;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof JsonSchema s && json.equals(s.json);
    }

    @Override
    public int hashCode() {
        return json.hashCode();
    }

    @Override
    public String toString() {
        return json.length() > 200 ? json.substring(0, 200) + "..." : json;
    }
}
