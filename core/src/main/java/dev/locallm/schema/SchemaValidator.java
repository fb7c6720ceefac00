package dev.locallm.schema;

import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaException;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.SpecificationVersion;
import com.networknt.schema.dialect.Dialect;
import com.networknt.schema.dialect.Dialects;
import com.networknt.schema.keyword.AnnotationKeyword;
import dev.locallm.error.InvalidRequestException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Validates JSON text against a {@link JsonSchema} (in the draft its {@code $schema} names, else 2020-12; formats
 * asserted), with
 * {@code com.networknt:json-schema-validator}: what {@link JsonSchema#validate} does. Stateless; thread-safe.
 */
final class SchemaValidator {
    /**
     * The five drafts, 2020-12 by default, formats asserted, and nothing fetched over the network (a schema is
     * untrusted input). Unknown keywords are annotations, without the library's warning for each (real-world
     * schemas are full of them); draft 4's {@code id} is one too in the later drafts, where the library would
     * otherwise refuse the schema.
     */
    private static final SchemaRegistry REGISTRY = SchemaRegistry.withDialects(Stream.of(Dialects.getDraft4(),
                    Dialects.getDraft6(), Dialects.getDraft7(), Dialects.getDraft201909(), Dialects.getDraft202012())
                    .map(SchemaValidator::lenient).toList(),
            builder -> builder.defaultDialectId(SpecificationVersion.DRAFT_2020_12.getDialectId())
                    .schemaRegistryConfig(SchemaRegistryConfig.builder().formatAssertionsEnabled(true).build())
                    .schemaLoader(loader -> loader.fetchRemoteResources(false)));

    private static final java.util.Map<SpecificationVersion, String> DRAFT_NAMES = java.util.Map.of(
            SpecificationVersion.DRAFT_4, "draft-04", SpecificationVersion.DRAFT_6, "draft-06",
            SpecificationVersion.DRAFT_7, "draft-07", SpecificationVersion.DRAFT_2019_09, "2019-09",
            SpecificationVersion.DRAFT_2020_12, "2020-12");

    private SchemaValidator() {
    }

    private static Dialect lenient(Dialect dialect) {
        return Dialect.builder(dialect)
                .unknownKeywordFactory((name, context) -> new AnnotationKeyword(name))
                .keywords(keywords -> {
                    if (dialect.getSpecificationVersion().getOrder() > SpecificationVersion.DRAFT_4.getOrder()) {
                        keywords.put("id", new AnnotationKeyword("id"));
                    }
                })
                .build();
    }

    /**
     * Loads a schema in the draft its {@code $schema} names (draft 4, 6, 7, 2019-09 or 2020-12, however the URI
     * is spelt), else as draft 4 when it evidently is one (a boolean {@code exclusiveMinimum} or
     * {@code exclusiveMaximum}, which later drafts reject), else as 2020-12; a dialect is never fetched.
     */
    static Schema load(String schemaJson) {
        JsonNode node = JsonMapper.shared().readTree(schemaJson);
        if (node instanceof ObjectNode object && !object.has("$schema") && hasBooleanExclusiveBound(object)) {
            object.put("$schema", SpecificationVersion.DRAFT_4.getDialectId());
        }
        if (node instanceof ObjectNode object && object.has("$schema")) {
            String declared = object.get("$schema").asString("");
            SpecificationVersion version = null;
            for (SpecificationVersion v : SpecificationVersion.values()) {
                if (declared.contains(DRAFT_NAMES.get(v))) {
                    version = v;
                }
            }
            if (version == null) {
                object.remove("$schema");
            } else {
                object.put("$schema", version.getDialectId());
            }
        }
        try {
            return REGISTRY.getSchema(node);
        } catch (SchemaException e) {
            throw new InvalidRequestException("the JSON schema cannot be used for validation: " + e.getMessage(),
                    "response_format");
        }
    }

    private static boolean hasBooleanExclusiveBound(JsonNode root) {
        java.util.ArrayDeque<JsonNode> pending = new java.util.ArrayDeque<>();
        pending.push(root);
        while (!pending.isEmpty()) {
            JsonNode node = pending.pop();
            if (node.path("exclusiveMinimum").isBoolean() || node.path("exclusiveMaximum").isBoolean()) {
                return true;
            }
            if (node.isContainer()) {
                node.forEach(pending::push);
            }
        }
        return false;
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
