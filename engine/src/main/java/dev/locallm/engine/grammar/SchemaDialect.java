package dev.locallm.engine.grammar;

import dev.locallm.error.UnsupportedSchemaException;
import dev.locallm.schema.JsonSchema;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * The JSON Schema dialect a document is read in, from its {@code $schema}: which keywords are assertions (they can
 * make an instance invalid), and whether a {@code $ref} hides its siblings. Every keyword that is not an assertion
 * of the dialect is an annotation, and constrains nothing. A document that declares no dialect is read as 2020-12,
 * except that the assertions of earlier drafts ({@code additionalItems}, draft 4's boolean exclusive bounds) keep
 * their meaning, since a schema that uses them evidently means them. {@code dependencies} asserts in every draft:
 * 2020-12 split it into {@code dependentRequired} and {@code dependentSchemas} but its meta-schema still defines
 * it, and validators (the one LocaLLM uses among them) still apply it.
 */
enum SchemaDialect {
    DRAFT_04, DRAFT_06, DRAFT_07, DRAFT_2019_09, DRAFT_2020_12, UNDECLARED;

    /** Assertion keywords, with the first and last dialect that has them. */
    private static final Map<String, SchemaDialect[]> ASSERTIONS = Map.ofEntries(
            always("type"), always("enum"), always("multipleOf"), always("maximum"), always("exclusiveMaximum"),
            always("minimum"), always("exclusiveMinimum"), always("maxLength"), always("minLength"), always("pattern"),
            always("maxItems"), always("minItems"), always("uniqueItems"), always("maxProperties"),
            always("minProperties"), always("required"), always("items"), always("additionalProperties"),
            always("properties"), always("patternProperties"), always("allOf"), always("anyOf"), always("oneOf"),
            always("not"), always("$ref"), always("format"), always("dependencies"),
            Map.entry("const", range(DRAFT_06, DRAFT_2020_12)),
            Map.entry("contains", range(DRAFT_06, DRAFT_2020_12)),
            Map.entry("propertyNames", range(DRAFT_06, DRAFT_2020_12)),
            Map.entry("if", range(DRAFT_07, DRAFT_2020_12)),
            Map.entry("then", range(DRAFT_07, DRAFT_2020_12)),
            Map.entry("else", range(DRAFT_07, DRAFT_2020_12)),
            Map.entry("additionalItems", range(DRAFT_04, DRAFT_2019_09)),
            Map.entry("dependentRequired", range(DRAFT_2019_09, DRAFT_2020_12)),
            Map.entry("dependentSchemas", range(DRAFT_2019_09, DRAFT_2020_12)),
            Map.entry("unevaluatedItems", range(DRAFT_2019_09, DRAFT_2020_12)),
            Map.entry("unevaluatedProperties", range(DRAFT_2019_09, DRAFT_2020_12)),
            Map.entry("minContains", range(DRAFT_2019_09, DRAFT_2020_12)),
            Map.entry("maxContains", range(DRAFT_2019_09, DRAFT_2020_12)),
            Map.entry("$recursiveRef", range(DRAFT_2019_09, DRAFT_2019_09)),
            Map.entry("prefixItems", range(DRAFT_2020_12, DRAFT_2020_12)),
            Map.entry("$dynamicRef", range(DRAFT_2020_12, DRAFT_2020_12)));

    /**
     * The dialect of a schema: its {@link JsonSchema#draft()} (the draft it names, or evidently is, as the
     * validator reads it too); else {@link #UNDECLARED}.
     *
     * @throws UnsupportedSchemaException for drafts before 4
     */
    static SchemaDialect of(JsonSchema schema, JsonNode document) {
        String uri = document.path("$schema").asString("");
        if (uri.matches(".*draft-0[0-3].*")) {
            throw new UnsupportedSchemaException("$schema", "#", "drafts before 4 are not supported: " + uri);
        }
        return schema.draft().map(d -> switch (d) {
            case DRAFT_4 -> DRAFT_04;
            case DRAFT_6 -> DRAFT_06;
            case DRAFT_7 -> DRAFT_07;
            case DRAFT_2019_09 -> DRAFT_2019_09;
            case DRAFT_2020_12 -> DRAFT_2020_12;
        }).orElse(UNDECLARED);
    }

    /** Whether {@code keyword} can make an instance invalid in this dialect. */
    boolean isAssertion(String keyword) {
        SchemaDialect[] range = ASSERTIONS.get(keyword);
        if (range == null) {
            return false;
        }
        return this == UNDECLARED || compareTo(range[0]) >= 0 && compareTo(range[1]) <= 0;
    }

    /** Whether the keywords beside a {@code $ref} are ignored, as drafts 4 to 7 say. */
    boolean refHidesSiblings() {
        return compareTo(DRAFT_07) <= 0;
    }

    private static Map.Entry<String, SchemaDialect[]> always(String keyword) {
        return Map.entry(keyword, range(DRAFT_04, DRAFT_2020_12));
    }

    private static SchemaDialect[] range(SchemaDialect first, SchemaDialect last) {
        return new SchemaDialect[] {first, last};
    }
}
