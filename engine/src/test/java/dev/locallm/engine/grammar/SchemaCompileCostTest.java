package dev.locallm.engine.grammar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.locallm.error.UnsupportedSchemaException;
import dev.locallm.schema.JsonSchema;
import java.util.StringJoiner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What a schema costs to compile grows with the schema, not faster; a schema too large for a grammar is refused by
 * name, not compiled for minutes. (A 30-property object of objects took over a minute before: every optional
 * property repeated the rest of the chain inside its expression.)
 */
@Timeout(60)
class SchemaCompileCostTest {

    @Test
    void grammarSizeGrowsLinearlyWithOptionalProperties() {
        int hundred = compile(objectOfObjects(100)).ruleCount();
        int twoHundred = compile(objectOfObjects(200)).ruleCount();
        int fourHundred = compile(objectOfObjects(400)).ruleCount();
        assertThat(fourHundred - twoHundred).isEqualTo(2 * (twoHundred - hundred));
    }

    @Test
    void longCountedRepetitionsNeedNoDeepRecursion() {
        Grammar g = compile("{\"type\":\"array\",\"items\":{\"type\":\"integer\"},\"maxItems\":10000}");
        assertThat(g.start().matchesCompletely("[1, 2, 3]")).isTrue();
        assertThat(g.ruleCount()).isGreaterThan(10_000);
    }

    @Test
    void aSchemaNeedingTooLargeAGrammarIsRefused() {
        JsonSchema schema = JsonSchema.parse(objectOfObjects(400));
        int needed = JsonSchemaGrammar.compile(schema).ruleCount();
        assertThat(JsonSchemaGrammar.compile(schema, needed).ruleCount()).isEqualTo(needed);
        assertThatThrownBy(() -> JsonSchemaGrammar.compile(schema, needed - 1))
                .isInstanceOfSatisfying(UnsupportedSchemaException.class,
                        e -> assertThat(e.getMessage()).contains("more than " + (needed - 1) + " rules"));
    }

    private static String objectOfObjects(int properties) {
        StringJoiner joiner = new StringJoiner(",");
        for (int i = 0; i < properties; i++) {
            joiner.add("\"p" + i + "\":{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"},\"b\":{\"type\":"
                    + "\"integer\"}}}");
        }
        return "{\"type\":\"object\",\"properties\":{" + joiner + "}}";
    }

    private static Grammar compile(String schema) {
        return JsonSchemaGrammar.compile(JsonSchema.parse(schema));
    }
}
