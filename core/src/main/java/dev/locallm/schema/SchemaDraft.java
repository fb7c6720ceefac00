package dev.locallm.schema;

import java.util.ArrayDeque;
import java.util.Optional;
import tools.jackson.databind.JsonNode;

/**
 * A JSON Schema draft, as a document's {@code $schema} names it or as the document evidently is. What
 * {@link JsonSchema#draft()} gives: validation and grammars read a document in the same draft.
 */
public enum SchemaDraft {
    /** Draft 4. */
    DRAFT_4("draft-04"),
    /** Draft 6. */
    DRAFT_6("draft-06"),
    /** Draft 7. */
    DRAFT_7("draft-07"),
    /** Draft 2019-09. */
    DRAFT_2019_09("2019-09"),
    /** Draft 2020-12, the default. */
    DRAFT_2020_12("2020-12");

    /** Keywords whose values are instance data, which say nothing of the draft. */
    private static final java.util.Set<String> DATA_KEYWORDS = java.util.Set.of("const", "enum", "default",
            "examples");

    private final String name;

    SchemaDraft(String name) {
        this.name = name;
    }

    /**
     * The draft a document's {@code $schema} names, however the URI is spelt; else the one it evidently is:
     * draft 4 when it has a boolean {@code exclusiveMinimum} or {@code exclusiveMaximum} (which later drafts
     * reject), 2019-09 when an {@code items} is an array (which 2020-12 rejects); else none.
     */
    static Optional<SchemaDraft> of(JsonNode document) {
        String declared = document.path("$schema").asString("");
        for (SchemaDraft d : values()) {
            if (!declared.isEmpty() && declared.contains(d.name)) {
                return Optional.of(d);
            }
        }
        SchemaDraft evident = null;
        ArrayDeque<JsonNode> pending = new ArrayDeque<>();
        pending.push(document);
        while (!pending.isEmpty()) {
            JsonNode node = pending.pop();
            if (node.path("exclusiveMinimum").isBoolean() || node.path("exclusiveMaximum").isBoolean()) {
                return Optional.of(DRAFT_4);
            }
            if (node.path("items").isArray()) {
                evident = DRAFT_2019_09;
            }
            if (node.isObject()) {
                for (String key : node.propertyNames()) {
                    if (!DATA_KEYWORDS.contains(key)) {
                        pending.push(node.get(key));
                    }
                }
            } else if (node.isArray()) {
                node.forEach(pending::push);
            }
        }
        return Optional.ofNullable(evident);
    }
}
