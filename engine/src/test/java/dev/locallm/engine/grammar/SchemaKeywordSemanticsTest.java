package dev.locallm.engine.grammar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.locallm.error.UnsupportedSchemaException;
import dev.locallm.schema.JsonSchema;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Keywords as the specification defines them: annotations and unknown keywords constrain nothing, {@code $schema}
 * selects the draft, references resolve inside the document, and combinators apply together with their siblings.
 */
class SchemaKeywordSemanticsTest {
    private static final String DRAFT_04 = "\"$schema\":\"http://json-schema.org/draft-04/schema#\",";
    private static final String DRAFT_07 = "\"$schema\":\"http://json-schema.org/draft-07/schema#\",";
    private static final String DRAFT_2020 = "\"$schema\":\"https://json-schema.org/draft/2020-12/schema\",";

    /** Keywords found in real-world schemas (Snowplow, Kubernetes, VS Code, code generators) that assert nothing. */
    @ParameterizedTest
    @ValueSource(strings = {"\"self\":{\"vendor\":\"com.acme\",\"name\":\"event\",\"format\":\"jsonschema\"}",
        "\"id\":\"http://example.com/event.json\"", "\"x-kubernetes-preserve-unknown-fields\":true",
        "\"x-kubernetes-int-or-string\":true", "\"_format\":\"uri\"", "\"readonly\":true", "\"javaName\":\"Event\"",
        "\"markdownDescription\":\"**An** event\"", "\"customLimit\":3", "\"title\":5", "\"description\":[1]",
        "\"format\":\"my-own-format\"", "\"if\":{\"type\":\"null\"}", "\"then\":{\"type\":\"null\"}",
        "\"minContains\":2", "\"additionalItems\":false"})
    void annotationsAndUnknownKeywordsChangeNothing(String keyword) {
        String plain = "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"},\"tags\":{\"type\":\"array\","
                + "\"items\":{\"type\":\"string\"}}},\"required\":[\"name\"]}";
        String annotated = "{" + keyword + ",\"type\":\"object\",\"properties\":{\"name\":{" + keyword
                + ",\"type\":\"string\"},\"tags\":{\"type\":\"array\",\"items\":{" + keyword + ",\"type\":\"string\"},"
                + keyword + "}},\"required\":[\"name\"]}";
        assertThat(compile(annotated).toGbnf()).isEqualTo(compile(plain).toGbnf());
    }

    @Test
    void draft7RefHidesItsSiblingsAnd2020RefAppliesWithThem() {
        String body = "\"$defs\":{\"a\":{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"integer\"}}}},"
                + "\"$ref\":\"#/$defs/a\",\"required\":[\"n\"]}";
        Grammar draft7 = compile("{" + DRAFT_07 + body);
        assertThat(accepts(draft7, "{}")).isTrue();
        assertThat(accepts(draft7, "{\"n\": 1}")).isTrue();
        for (Grammar g : List.of(compile("{" + DRAFT_2020 + body), compile("{" + body))) {
            assertThat(accepts(g, "{}")).isFalse();
            assertThat(accepts(g, "{\"n\": 1}")).isTrue();
            assertThat(accepts(g, "{\"n\": \"x\"}")).isFalse();
        }
    }

    @Test
    void keywordsOfLaterDraftsAreAnnotationsInEarlierOnes() {
        String body = "\"type\":\"array\",\"prefixItems\":[{\"type\":\"integer\"}]}";
        assertThat(accepts(compile("{" + DRAFT_07 + body), "[\"x\"]")).isTrue();
        assertThat(accepts(compile("{" + DRAFT_2020 + body), "[\"x\"]")).isFalse();
        assertThat(accepts(compile("{" + body), "[\"x\"]")).isFalse();
        String dependencies = "\"type\":\"object\",\"dependencies\":{\"a\":[\"b\"]}}";
        assertUnsupported("{" + DRAFT_07 + dependencies, "dependencies");
        assertUnsupported("{" + DRAFT_2020 + dependencies, "dependencies");
    }

    @Test
    void draft4BooleanExclusiveBoundsAndNoConst() {
        Grammar g = compile("{" + DRAFT_04 + "\"id\":\"http://example.com/n.json\",\"type\":\"integer\",\"minimum\":0,"
                + "\"exclusiveMinimum\":true,\"maximum\":10,\"exclusiveMaximum\":false}");
        assertThat(accepts(g, "0")).isFalse();
        assertThat(accepts(g, "1")).isTrue();
        assertThat(accepts(g, "10")).isTrue();
        assertThat(accepts(compile("{" + DRAFT_04 + "\"type\":\"string\",\"const\":\"a\"}"), "\"b\"")).isTrue();
        assertThat(accepts(compile("{" + DRAFT_07 + "\"type\":\"string\",\"const\":\"a\"}"), "\"b\"")).isFalse();
    }

    @Test
    void referencesByAnchorAndThroughTheDocumentsOwnId() {
        Grammar anchored = compile("{\"$defs\":{\"a\":{\"$anchor\":\"count\",\"type\":\"integer\"}},\"type\":\"array\","
                + "\"items\":{\"$ref\":\"#count\"}}");
        assertThat(accepts(anchored, "[1, 2]")).isTrue();
        assertThat(accepts(anchored, "[\"x\"]")).isFalse();
        Grammar draft7Anchor = compile("{" + DRAFT_07 + "\"definitions\":{\"a\":{\"$id\":\"#count\",\"type\":\"integer\"}},"
                + "\"items\":{\"$ref\":\"#count\"}}");
        assertThat(accepts(draft7Anchor, "[\"x\"]")).isFalse();
        for (String ref : List.of("https://example.com/schemas/root.json#/$defs/a", "root.json#/$defs/a",
                "/schemas/root.json#/$defs/a")) {
            Grammar g = compile("{\"$id\":\"https://example.com/schemas/root.json\",\"$defs\":{\"a\":{\"type\":"
                    + "\"integer\"}},\"properties\":{\"n\":{\"$ref\":\"" + ref + "\"}},\"required\":[\"n\"]}");
            assertThat(accepts(g, "{\"n\": 3}")).as(ref).isTrue();
            assertThat(accepts(g, "{\"n\": \"3\"}")).as(ref).isFalse();
        }
        assertUnsupported("{\"$id\":\"https://example.com/schemas/root.json\",\"$ref\":\"other.json#/a\"}", "$ref");
        assertUnsupported("{\"$ref\":\"#/$defs/a\",\"$defs\":{\"a\":{\"$ref\":\"#/$defs/b\"},\"b\":{\"$ref\":"
                + "\"#/$defs/a\"}}}", "$ref");
    }

    @Test
    void combinatorsApplyTogetherWithTheKeywordsBesideThem() {
        Grammar anyOf = compile("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"},\"b\":{\"type\":"
                + "\"integer\"}},\"additionalProperties\":false,\"anyOf\":[{\"required\":[\"a\"]},{\"required\":[\"b\"]}]}");
        assertThat(accepts(anyOf, "{\"a\": \"x\"}")).isTrue();
        assertThat(accepts(anyOf, "{\"b\": 2}")).isTrue();
        assertThat(accepts(anyOf, "{}")).isFalse();
        assertThat(accepts(anyOf, "{\"a\": 1}")).isFalse();
        Grammar overlapping = compile("{\"allOf\":[{\"properties\":{\"a\":{\"type\":\"integer\",\"minimum\":0}}},"
                + "{\"properties\":{\"a\":{\"type\":\"integer\",\"maximum\":5}}}],\"required\":[\"a\"]}");
        assertThat(accepts(overlapping, "{\"a\": 3}")).isTrue();
        assertThat(accepts(overlapping, "{\"a\": 7}")).isFalse();
        assertThat(accepts(overlapping, "{\"a\": -1}")).isFalse();
        Grammar types = compile("{\"allOf\":[{\"type\":[\"string\",\"null\"]},{\"type\":\"string\",\"minLength\":2},"
                + "{\"maxLength\":3}]}");
        assertThat(accepts(types, "null")).isFalse();
        assertThat(accepts(types, "\"ab\"")).isTrue();
        assertThat(accepts(types, "\"abcd\"")).isFalse();
        assertUnsupported("{\"allOf\":[{\"type\":\"string\"},{\"type\":\"integer\"}]}", "allOf");
    }

    /** Each schema either is refused or its grammar rejects the instance, which breaks the schema. */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource(delimiter = '|', value = {
        "{\"$defs\":{\"E\":{\"enum\":[\"a\",null]}},\"$ref\":\"#/$defs/E\",\"type\":\"string\"} | null",
        "{\"type\":\"string\",\"anyOf\":[{\"enum\":[\"a\",1]}]} | 1",
        "{\"allOf\":[{\"type\":\"string\"},{\"const\":5}]} | 5",
        "{\"oneOf\":[{\"type\":\"string\"},{\"properties\":{\"a\":{\"type\":\"integer\"}}}]} | \"x\"",
        "{\"$defs\":{\"S\":{\"type\":\"object\"}},\"oneOf\":[{\"$ref\":\"#/$defs/S\",\"minLength\":1},{\"type\":"
            + "\"object\"}]} | {}",
        "{\"$schema\":\"http://json-schema.org/draft-04/schema#\",\"oneOf\":[{\"type\":\"integer\",\"const\":1},"
            + "{\"type\":\"integer\",\"const\":2}]} | 5",
        "{\"oneOf\":[{\"const\":1},{\"const\":1.0}]} | 1",
        "{\"$id\":\"http://x/root.json\",\"$ref\":\"#/$defs/A\",\"$defs\":{\"B\":{\"type\":\"string\"},\"A\":{\"$id\":"
            + "\"http://x/a.json\",\"$ref\":\"#/$defs/B\",\"$defs\":{\"B\":{\"type\":\"integer\"}}}}} | \"s\"",
        "{\"$ref\":\"#foo\",\"$defs\":{\"r\":{\"$anchor\":\"foo\",\"type\":\"string\"}},\"default\":{\"$anchor\":"
            + "\"foo\",\"type\":\"integer\"}} | 5",
        "{\"properties\":{\"n\":{\"type\":\"number\",\"minimum\":0,\"exclusiveMinimum\":true},\"t\":{\"type\":"
            + "\"array\",\"prefixItems\":[{\"type\":\"string\"}],\"items\":{\"type\":\"integer\"}}},\"required\":"
            + "[\"t\"]} | {\"t\": [\"a\", 1]}"})
    void schemasAnIndependentReviewFoundUnsoundAreRefusedOrReject(String schema, String instance) {
        JsonSchema parsed = JsonSchema.parse(schema);
        assertThat(parsed.validate(instance)).as("the instance breaks the schema").isNotEmpty();
        try {
            assertThat(accepts(JsonSchemaGrammar.compile(parsed), instance)).isFalse();
        } catch (UnsupportedSchemaException refused) {
            assertThat(refused.keyword()).isNotBlank();
        }
    }

    /** Each rule referring to an earlier one used to cost another pass over all rules: 60 s for 8,000 of them. */
    @Test
    @org.junit.jupiter.api.Timeout(60)
    void aLongChainOfDefinitionsCompiles() {
        StringBuilder defs = new StringBuilder("\"D0\":{\"type\":\"integer\"}");
        StringBuilder properties = new StringBuilder();
        for (int k = 1; k <= 4000; k++) {
            defs.append(",\"D").append(k).append("\":{\"type\":\"array\",\"minItems\":1,\"items\":{\"$ref\":\"#/$defs/D")
                    .append(k - 1).append("\"}}");
            properties.append(k == 1 ? "" : ",").append("\"p").append(k).append("\":{\"$ref\":\"#/$defs/D").append(k)
                    .append("\"}");
        }
        Grammar g = JsonSchemaGrammar.compile(JsonSchema.parse("{\"$defs\":{" + defs + "},\"type\":\"object\","
                + "\"properties\":{" + properties + "}}"), java.time.Duration.ofMinutes(1));
        assertThat(accepts(g, "{\"p2\": [[7]]}")).isTrue();
    }

    @Test
    void aRecursionThroughReferencesMergedWithTheirSiblingsEnds() {
        Grammar g = compile("{" + DRAFT_04 + "\"type\":\"object\",\"additionalProperties\":{\"minProperties\":1,"
                + "\"anyOf\":[{\"type\":\"string\"},{\"$ref\":\"#/definitions/r\"}]},\"definitions\":{\"r\":"
                + "{\"type\":\"object\",\"additionalProperties\":{\"minProperties\":1,\"anyOf\":[{\"type\":"
                + "\"string\"},{\"$ref\":\"#/definitions/r\"}]}}}}");
        assertThat(accepts(g, "{\"a\": \"x\", \"b\": {\"c\": {\"d\": \"y\"}}}")).isTrue();
        assertThat(accepts(g, "{\"a\": 1}")).isFalse();
    }

    @Test
    void branchesThatCarryTheRootsKeywordsStayInTheRootsResource() {
        Grammar g = compile("{" + DRAFT_07 + "\"$id\":\"https://example.com/kinds.json\",\"type\":\"object\","
                + "\"oneOf\":[{\"$ref\":\"#/definitions/a\"},{\"$ref\":\"#/definitions/b\"}],\"definitions\":{"
                + "\"a\":{\"properties\":{\"kind\":{\"const\":\"a\"}},\"required\":[\"kind\"]},\"b\":{\"properties\":"
                + "{\"kind\":{\"const\":\"b\"},\"n\":{\"type\":\"integer\"}},\"required\":[\"kind\",\"n\"]}}}");
        assertThat(accepts(g, "{\"kind\": \"a\"}")).isTrue();
        assertThat(accepts(g, "{\"kind\": \"b\", \"n\": 2}")).isTrue();
        assertThat(accepts(g, "{\"kind\": \"c\"}")).isFalse();
    }

    @Test
    void unionsOfConstantsArePooledAndFilteredByTheirSiblings() {
        StringBuilder branches = new StringBuilder();
        for (int i = 0; i < 300; i++) {
            branches.append(i == 0 ? "" : ",").append("{\"enum\":[\"Task").append(i).append("@1\"]}");
        }
        Grammar g = compile("{\"type\":\"string\",\"pattern\":\"^Task1[0-9]@1$\",\"anyOf\":[" + branches + "]}");
        assertThat(accepts(g, "\"Task12@1\"")).isTrue();
        assertThat(accepts(g, "\"Task2@1\"")).isFalse();
        Grammar exactlyOne = compile("{\"oneOf\":[{\"enum\":[1,2]},{\"const\":2.0},{\"enum\":[3]}]}");
        assertThat(accepts(exactlyOne, "1")).isTrue();
        assertThat(accepts(exactlyOne, "2")).as("allowed by two branches").isFalse();
        assertThat(accepts(exactlyOne, "3")).isTrue();
    }

    private static Grammar compile(String schema) {
        JsonSchema parsed = JsonSchema.parse(schema);
        Grammar grammar = JsonSchemaGrammar.compile(parsed);
        GrammarSampler.assertSamplesValidate(grammar, parsed, 20);
        return grammar;
    }

    private static boolean accepts(Grammar g, String text) {
        return g.start().matchesCompletely(text);
    }

    private static void assertUnsupported(String schema, String keyword) {
        assertThatThrownBy(() -> JsonSchemaGrammar.compile(JsonSchema.parse(schema)))
                .isInstanceOfSatisfying(UnsupportedSchemaException.class, e -> assertThat(e.keyword()).isEqualTo(keyword));
    }
}
