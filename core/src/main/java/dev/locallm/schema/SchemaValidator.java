package dev.locallm.schema;

import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaException;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.SpecificationVersion;
import dev.locallm.error.InvalidRequestException;
import dev.locallm.internal.Json;
import dev.locallm.internal.LruCache;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Validates JSON text against a {@link JsonSchema} (draft 2020-12, formats asserted), with
 * {@code com.networknt:json-schema-validator}. Compiled schemas are cached. Stateless API; thread-safe.
 *
 * <pre>{@code
 * List<String> errors = SchemaValidator.validate(schema, "{\"city\":\"Paris\"}");
 * }</pre>
 */
public final class SchemaValidator {
    private static final int CACHE_SIZE = 256;
    /** Draft 2020-12, formats asserted, and nothing fetched over the network (a schema is untrusted input). */
    private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12,
            builder -> builder
                    .schemaRegistryConfig(SchemaRegistryConfig.builder().formatAssertionsEnabled(true).build())
                    .schemaLoader(loader -> loader.fetchRemoteResources(false)));
    private static final LruCache<String, Schema> CACHE = new LruCache<>(CACHE_SIZE);

    private SchemaValidator() {
    }

    /** Loads a schema as draft 2020-12 whatever its {@code $schema} says, so that no dialect is fetched. */
    private static Schema load(String schemaJson) {
        JsonNode node = Json.MAPPER.readTree(schemaJson);
        if (node instanceof ObjectNode object) {
            object.remove("$schema");
        }
        try {
            return REGISTRY.getSchema(node);
        } catch (SchemaException e) {
            throw new InvalidRequestException("the JSON schema cannot be used for validation: " + e.getMessage(),
                    "response_format");
        }
    }

    /**
     * The ways {@code json} breaks {@code schema}: empty when it is valid. Text that is not JSON gives one error
     * saying so.
     */
    public static List<String> validate(JsonSchema schema, String json) {
        JsonNode instance;
        try {
            instance = Json.MAPPER.readTree(json);
        } catch (JacksonException e) {
            return List.of("not valid JSON: " + e.getOriginalMessage());
        }
        if (instance == null || instance.isMissingNode()) {
            return List.of("not valid JSON: no value");
        }
        Schema compiled = CACHE.get(schema.toJson(), SchemaValidator::load);
        List<String> errors = new ArrayList<>();
        for (Error e : compiled.validate(instance)) {
            errors.add(e.toString());
        }
        return errors;
    }
}
