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
import java.util.Optional;
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

    private static final java.util.Map<SchemaDraft, SpecificationVersion> VERSIONS = java.util.Map.of(
            SchemaDraft.DRAFT_4, SpecificationVersion.DRAFT_4, SchemaDraft.DRAFT_6, SpecificationVersion.DRAFT_6,
            SchemaDraft.DRAFT_7, SpecificationVersion.DRAFT_7, SchemaDraft.DRAFT_2019_09,
            SpecificationVersion.DRAFT_2019_09, SchemaDraft.DRAFT_2020_12, SpecificationVersion.DRAFT_2020_12);

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
     * Loads a schema in its {@link SchemaDraft} (the one it names or evidently is), else as 2020-12; a dialect is
     * never fetched.
     */
    static Schema load(String schemaJson) {
        JsonNode node = JsonMapper.shared().readTree(schemaJson);
        if (node instanceof ObjectNode object) {
            Optional<SchemaDraft> draft = SchemaDraft.of(object);
            if (draft.isPresent()) {
                object.put("$schema", VERSIONS.get(draft.get()).getDialectId());
            } else {
                object.remove("$schema");
            }
            absoluteId(object);
        }
        try {
            return REGISTRY.getSchema(node);
        } catch (SchemaException e) {
            throw new InvalidRequestException("the JSON schema cannot be used for validation: " + e.getMessage(),
                    "response_format");
        }
    }

    /**
     * Makes a relative root {@code $id} (or draft 4 {@code id}), such as {@code "compose_spec.json"}, absolute under
     * a base that is never fetched: the library refuses a relative one, and references relative to it resolve the
     * same way under any base.
     */
    private static void absoluteId(ObjectNode root) {
        for (String key : List.of("$id", "id")) {
            JsonNode id = root.get(key);
            if (id != null && id.isString() && !id.stringValue().startsWith("#")) {
                try {
                    java.net.URI uri = new java.net.URI(id.stringValue());
                    if (!uri.isAbsolute()) {
                        root.put(key, new java.net.URI(RELATIVE_BASE).resolve(uri).toString());
                    }
                } catch (java.net.URISyntaxException | IllegalArgumentException e) {
                    return;
                }
            }
        }
    }

    /** The base of a relative root {@code $id}: a reserved domain, never fetched. */
    private static final String RELATIVE_BASE = "https://schema.invalid/";

    /**
     * The ways {@code json} breaks {@code schema}: empty when it is valid. Text that is not JSON gives one error
     * saying so.
     *
     * @throws InvalidRequestException when validating needs what the schema refers to and cannot be had (a
     *                                 remote reference, never fetched)
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
        try {
            for (Error e : compiled.validate(instance)) {
                errors.add(e.toString());
            }
        } catch (SchemaException e) {
            throw new InvalidRequestException("the JSON schema cannot be used for validation: " + e.getMessage(),
                    "response_format");
        } catch (StackOverflowError e) {
            throw new InvalidRequestException("the JSON schema cannot be used for validation: its references loop "
                    + "without end", "response_format");
        } catch (RuntimeException e) {
            errors.add("the validator could not check this value: " + e.getMessage());
        }
        return errors;
    }
}
