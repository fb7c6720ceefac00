package dev.locallm.schema;

import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaException;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.SpecificationVersion;
import dev.locallm.error.InvalidRequestException;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Validates JSON text against a {@link JsonSchema} (draft 2020-12, formats asserted), with
 * {@code com.networknt:json-schema-validator}: what {@link JsonSchema#validate} does. Stateless; thread-safe.
 */
final class SchemaValidator {
    /** Draft 2020-12, formats asserted, and nothing fetched over the network (a schema is untrusted input). */
    private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12,
            builder -> builder
                    .schemaRegistryConfig(SchemaRegistryConfig.builder().formatAssertionsEnabled(true).build())
                    .schemaLoader(loader -> loader.fetchRemoteResources(false)));

    private SchemaValidator() {
    }

    /** Loads a schema as draft 2020-12 whatever its {@code $schema} says, so that no dialect is fetched. */
    static Schema load(String schemaJson) {
        JsonNode node = JsonMapper.shared().readTree(schemaJson);
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
    static List<String> validate(Schema compiled, String json) {
        JsonNode instance;
        try {
            instance = JsonMapper.shared().readTree(json);
        } catch (JacksonException e) {
            return List.of("not valid JSON: " + e.getOriginalMessage());
        }
        if (instance == null || instance.isMissingNode()) {
            return List.of("not valid JSON: no value");
        }
        List<String> errors = new ArrayList<>();
        for (Error e : compiled.validate(instance)) {
            errors.add(e.toString());
        }
        return errors;
    }
}
