package dev.locallm.schema;

import java.util.Objects;

/**
 * One assertion of a JSON schema, named by its keyword and where it stands: what
 * {@link dev.locallm.chat.ChatResponse#validatedAssertions()} lists when constrained decoding could not enforce it
 * and validation checked it after generation. Immutable.
 *
 * @param schema  which schema: {@code response_format}, or the name of the tool whose parameters hold it
 * @param keyword the keyword, such as {@code uniqueItems}
 * @param pointer JSON pointer of the schema object holding it, such as {@code #/properties/tags}
 */
public record SchemaAssertion(String schema, String keyword, String pointer) {
    /** Checks the parts. */
    public SchemaAssertion {
        Objects.requireNonNull(schema, "schema");
        Objects.requireNonNull(keyword, "keyword");
        Objects.requireNonNull(pointer, "pointer");
    }

    @Override
    public String toString() {
        return keyword + " at " + schema + pointer;
    }
}
