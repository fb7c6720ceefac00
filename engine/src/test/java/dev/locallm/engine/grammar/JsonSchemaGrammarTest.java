package dev.locallm.engine.grammar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.locallm.error.UnsupportedSchemaException;
import dev.locallm.schema.Description;
import dev.locallm.schema.JsonSchema;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.json.JsonMapper;

class JsonSchemaGrammarTest {
    record TreeNode(int value, List<TreeNode> children) { }

    static class Tools {
        @dev.locallm.tool.Tool("Temperature in a place")
        int temperature(@Description("Where") String place, Optional<String> unit) {
            return 15;
        }

        @dev.locallm.tool.Tool("Sum of a tree")
        int sum(TreeNode root) {
            return root.value();
        }
    }

    /** The parameter schemas {@code ToolMethods} derives from Java methods (recursive records too) compile. */
    @Test
    void parametersOfToolMethodsCompile() {
        dev.locallm.agent.ToolMethods.of(new Tools()).specs().forEach(t -> {
            Grammar g = JsonSchemaGrammar.compile(t.parameters());
            assertThat(g.start().advance("{").isPresent()).as(t.name()).isTrue();
        });
    }


    private static Grammar compile(String schema) {
        return JsonSchemaGrammar.compile(JsonSchema.parse(schema));
    }

    private static boolean accepts(Grammar g, String text) {
        return g.start().matchesCompletely(text);
    }

    /** Every sample the grammar generates validates against the schema. */
    private static void assertSamplesValidate(String schemaJson, int samples) {
        JsonSchema schema = JsonSchema.parse(schemaJson);
        Grammar g = JsonSchemaGrammar.compile(schema);
        SplittableRandom random = new SplittableRandom(schemaJson.hashCode());
        for (int i = 0; i < samples; i++) {
            String text = GrammarSampler.sample(g, random, 200);
            assertThat(accepts(g, text)).as("grammar accepts its own sample %s", text).isTrue();
            assertThat(schema.validate(text)).as("sample %s", text).isEmpty();
        }
    }

    @Test
    void openApiIntegerFormatsNarrowTheIntegersGeneratedToTheirRange() {
        Grammar int32 = compile("{\"type\":\"integer\",\"format\":\"int32\"}");
        assertThat(accepts(int32, "2147483647")).isTrue();
        assertThat(accepts(int32, "-2147483648")).isTrue();
        assertThat(accepts(int32, "2147483648")).as("beyond a Java int").isFalse();
        assertThat(accepts(int32, "-300000000000000")).isFalse();
        Grammar bounded = compile("{\"type\":\"integer\",\"format\":\"int8\",\"minimum\":-5,\"maximum\":1000}");
        assertThat(accepts(bounded, "-5")).isTrue();
        assertThat(accepts(bounded, "127")).isTrue();
        assertThat(accepts(bounded, "128")).as("the narrower of the two").isFalse();
        assertThat(accepts(compile("{\"type\":\"integer\",\"format\":\"int64\"}"), "300000000000000"))
                .as("other formats stay annotations").isTrue();
        assertSamplesValidate("{\"type\":\"integer\",\"format\":\"int32\"}", 50);
        Grammar outside = compile("{\"type\":\"integer\",\"format\":\"int8\",\"minimum\":200,\"maximum\":300}");
        assertThat(accepts(outside, "250")).as("a format that would leave no integer is left out").isTrue();
    }

    @Test
    void objectsWithRequiredOptionalAndNoExtraProperties() {
        String schema = """
                {"type":"object","properties":{"name":{"type":"string","maxLength":12},
                 "age":{"type":"integer","minimum":0,"maximum":99},"happy":{"type":"boolean"}},
                 "required":["name","age"],"additionalProperties":false}""";
        Grammar g = compile(schema);
        assertThat(accepts(g, "{\"name\": \"Ann\", \"age\": 7}")).isTrue();
        assertThat(accepts(g, "{\"name\": \"Ann\", \"age\": 7, \"happy\": true}")).isTrue();
        assertThat(accepts(g, "{\"name\": \"Ann\"}")).as("missing required").isFalse();
        assertThat(accepts(g, "{\"name\": \"Ann\", \"age\": 100}")).as("above maximum").isFalse();
        assertThat(accepts(g, "{\"name\": \"Ann\", \"age\": 7, \"x\": 1}")).as("extra property").isFalse();
        String indented = "{ \"name\" : \"Ann\", \"age\" : 7,\n  \"happy\": true }";
        assertThat(accepts(g, indented)).as("compact by default").isFalse();
        assertThat(accepts(g, "{\"name\":\"Ann\",\"age\":7}")).as("compact by default").isFalse();
        Grammar flexible = compile(schema.replaceFirst("\\{", "{\"x-guidance\":{\"whitespace_flexible\":true},"));
        assertThat(accepts(flexible, indented)).isTrue();
        assertThat(accepts(flexible, "{\"name\":\"Ann\",\"age\":7}")).isTrue();
        Grammar tight = compile(schema.replaceFirst("\\{", "{\"x-guidance\":{\"item_separator\":\",\","
                + "\"key_separator\":\":\"},"));
        assertThat(accepts(tight, "{\"name\":\"Ann\",\"age\":7}")).isTrue();
        assertThat(accepts(tight, "{\"name\": \"Ann\", \"age\": 7}")).isFalse();
        assertThatThrownBy(() -> compile(schema.replaceFirst("\\{", "{\"x-guidance\":{\"item_separator\":\";\"},")))
                .isInstanceOf(UnsupportedSchemaException.class).hasMessageContaining("item_separator");
        assertThat(accepts(g, "{\"name\":\"Annabelle-Marie\",\"age\":7}")).as("too long").isFalse();
        assertThat(accepts(g, "{\"name\":\"Ann\",\"age\":07}")).as("leading zero").isFalse();
        assertSamplesValidate(schema, 200);
    }

    @ParameterizedTest
    @CsvSource({"-37,215", "0,9", "10,10", "-1000,-999", "5,123456", "-5,5", "7,7"})
    void integerRangesAreExact(long lo, long hi) {
        Grammar g = compile("{\"type\":\"integer\",\"minimum\":" + lo + ",\"maximum\":" + hi + "}");
        for (long v = lo - 300; v <= Math.min(hi + 300, lo + 3000); v++) {
            assertThat(accepts(g, Long.toString(v))).as("%d in [%d, %d]", v, lo, hi).isEqualTo(v >= lo && v <= hi);
        }
        assertThat(accepts(g, "-0")).isFalse();
    }

    @Test
    void exclusiveBoundsAndDraft4Booleans() {
        Grammar g = compile("{\"type\":\"integer\",\"exclusiveMinimum\":1,\"exclusiveMaximum\":4.5}");
        assertThat(List.of("1", "2", "3", "4", "5")).filteredOn(v -> accepts(g, v)).containsExactly("2", "3", "4");
        Grammar d4 = compile("{\"type\":\"integer\",\"minimum\":1,\"exclusiveMinimum\":true,\"maximum\":3}");
        assertThat(List.of("1", "2", "3")).filteredOn(v -> accepts(d4, v)).containsExactly("2", "3");
    }

    @Test
    void stringsEscapeAndCountCharacters() {
        Grammar g = compile("{\"type\":\"string\",\"minLength\":2,\"maxLength\":3}");
        assertThat(accepts(g, "\"ab\"")).isTrue();
        assertThat(accepts(g, "\"a\\\"c\"")).as("escaped quote counts as one").isTrue();
        assertThat(accepts(g, "\"\\u00e9x\"")).isTrue();
        assertThat(accepts(g, "\"a\"")).isFalse();
        assertThat(accepts(g, "\"abcd\"")).isFalse();
        assertThat(accepts(g, "\"a\nb\"")).as("raw newline").isFalse();
        assertSamplesValidate("{\"type\":\"string\",\"minLength\":2,\"maxLength\":3}", 200);
    }

    @Test
    void patternsMatchWholeStrings() {
        String schema = "{\"type\":\"string\",\"pattern\":\"^[A-Z]{2}-\\\\d{3,4}(x|yz)?$\"}";
        Grammar g = compile(schema);
        assertThat(accepts(g, "\"AB-123\"")).isTrue();
        assertThat(accepts(g, "\"AB-1234yz\"")).isTrue();
        assertThat(accepts(g, "\"A-123\"")).isFalse();
        assertSamplesValidate(schema, 200);
        assertSamplesValidate("{\"type\":\"string\",\"pattern\":\"a\\\"b\\\\\\\\c.\"}", 100);
    }

    @ParameterizedTest
    @CsvSource({"date", "time", "date-time", "duration", "uuid", "email", "idn-email", "hostname", "idn-hostname", "uri",
        "iri", "uri-reference", "iri-reference", "uri-template", "ipv4", "ipv6", "json-pointer", "relative-json-pointer",
        "regex"})
    void formatsGenerateValidValues(String format) {
        assertSamplesValidate("{\"type\":\"string\",\"format\":\"" + format + "\"}", 100);
    }

    @Test
    void enumsConstsUnionsAndNull() {
        Grammar g = compile("{\"enum\":[\"red\",1,null,{\"a\":[true]}]}");
        assertThat(List.of("\"red\"", "1", "null", "{\"a\": [true]}", "\"blue\"", "2"))
                .filteredOn(v -> accepts(g, v)).containsExactly("\"red\"", "1", "null", "{\"a\": [true]}");
        assertSamplesValidate("{\"type\":[\"string\",\"null\",\"number\"],\"maxLength\":3}", 200);
        assertSamplesValidate("{\"anyOf\":[{\"type\":\"integer\",\"maximum\":-5},{\"const\":\"x\"}]}", 100);
        assertSamplesValidate("{\"type\":\"number\",\"minimum\":0}", 100);
    }

    @Test
    void arraysWithBoundsAndPrefixItems() {
        String schema = "{\"type\":\"array\",\"prefixItems\":[{\"type\":\"string\"},{\"type\":\"integer\"}],"
                + "\"items\":{\"type\":\"boolean\"},\"minItems\":1,\"maxItems\":4}";
        Grammar g = compile(schema);
        assertThat(accepts(g, "[\"a\"]")).isTrue();
        assertThat(accepts(g, "[\"a\", 1, true, false]")).isTrue();
        assertThat(accepts(g, "[]")).isFalse();
        assertThat(accepts(g, "[\"a\", 1, true, false, true]")).isFalse();
        assertThat(accepts(g, "[1]")).isFalse();
        assertSamplesValidate(schema, 200);
        assertSamplesValidate("{\"type\":\"array\",\"items\":{\"type\":\"integer\"},\"minItems\":2}", 100);
        assertSamplesValidate("{\"type\":\"array\",\"items\":{\"type\":\"integer\"},\"maxItems\":3}", 100);
        assertSamplesValidate("{\"type\":\"array\",\"prefixItems\":[{\"const\":1}],\"items\":false}", 20);
    }

    @Test
    void recursiveReferencesAndDefinitions() {
        String tree = """
                {"$defs":{"node":{"type":"object","properties":{"value":{"type":"integer"},
                 "children":{"type":"array","items":{"$ref":"#/$defs/node"},"maxItems":3}},
                 "required":["value"],"additionalProperties":false}},"$ref":"#/$defs/node"}""";
        assertSamplesValidate(tree, 200);
        assertThat(accepts(compile(tree), "{\"value\": 1, \"children\": [{\"value\": 2, \"children\": [{\"value\": 3}]}]}"))
                .isTrue();
        assertSamplesValidate("{\"definitions\":{\"a\":{\"type\":\"string\"}},\"properties\":{\"x\":{\"$ref\":"
                + "\"#/definitions/a\"}},\"required\":[\"x\"]}", 50);
    }

    @Test
    void boundedNumbersStayInsideTheirBounds() {
        Grammar g = compile("{\"type\":\"number\",\"minimum\":0.5,\"exclusiveMaximum\":3.5}");
        assertThat(List.of("1", "2.75", "3", "0.5", "3.25", "-1", "4", "0", "1e2"))
                .filteredOn(v -> accepts(g, v)).containsExactly("1", "2.75", "3");
        Grammar negative = compile("{\"type\":\"number\",\"exclusiveMinimum\":-2.5,\"maximum\":-1}");
        assertThat(List.of("-2", "-1", "-1.5", "-2.4", "-0.5", "-3", "0"))
                .filteredOn(v -> accepts(negative, v)).containsExactly("-2", "-1", "-1.5");
        assertSamplesValidate("{\"type\":\"number\",\"minimum\":-3.25,\"maximum\":7.5}", 200);
        assertSamplesValidate("{\"type\":\"number\",\"exclusiveMinimum\":0,\"exclusiveMaximum\":2}", 100);
        assertSamplesValidate("{\"type\":\"number\",\"maximum\":1.7976931348623157e308,\"minimum\":-1e300}", 100);
        assertSamplesValidate("{\"$schema\":\"http://json-schema.org/draft-04/schema#\",\"type\":\"number\","
                + "\"minimum\":1,\"exclusiveMinimum\":true,\"maximum\":2}", 100);
    }

    @Test
    void schemasWithNoFiniteValueAreRejected() {
        assertThatThrownBy(() -> compile("{\"type\":\"object\",\"properties\":{\"next\":{\"$ref\":\"#\"}},"
                + "\"required\":[\"next\"]}"))
                .isInstanceOf(UnsupportedSchemaException.class).hasMessageContaining("no finite JSON value");
        assertThatThrownBy(() -> compile("{\"$ref\":\"#\"}")).isInstanceOf(UnsupportedSchemaException.class);
    }

    @Test
    void unsupportedKeywordsNameKeywordAndPointer() {
        assertUnsupported("{\"type\":\"array\",\"uniqueItems\":true}", "uniqueItems", "#");
        assertUnsupported("{\"properties\":{\"a\":{\"not\":{\"type\":\"string\"}}}}", "not", "#/properties/a");
        assertUnsupported("{\"patternProperties\":{\"^x\":{}}}", "patternProperties", "#");
        assertUnsupported("{\"type\":\"number\",\"minimum\":0.1,\"maximum\":0.9}", "minimum", "#");
        assertUnsupported("{\"type\":\"string\",\"format\":\"hostname\",\"pattern\":\"^x\"}", "pattern", "#");
        assertUnsupported("{\"type\":\"string\",\"pattern\":\"(a)\\\\1\"}", "pattern", "#");
        assertUnsupported("{\"$ref\":\"http://example.com/s.json\"}", "$ref", "#");
        assertUnsupported("{\"items\":[{\"if\":{},\"then\":{\"type\":\"string\"}}]}", "if", "#/prefixItems/0");
        assertUnsupported("false", "false", "#");
    }

    private static void assertUnsupported(String schema, String keyword, String pointer) {
        assertThatThrownBy(() -> compile(schema)).isInstanceOfSatisfying(UnsupportedSchemaException.class, e -> {
            assertThat(e.keyword()).isEqualTo(keyword);
            assertThat(e.pointer()).isEqualTo(pointer);
        });
    }

    @Test
    void truncatedOutputIsClosedByTheShortestCompletion() {
        JsonSchema schema = JsonSchema.parse("""
                {"type":"object","properties":{"items":{"type":"array","items":{"type":"object",
                 "properties":{"name":{"type":"string"},"n":{"type":"integer"}},"required":["name","n"]}},
                 "note":{"type":"string"}},"required":["items"]}""");
        Grammar g = JsonSchemaGrammar.compile(schema);
        String full = "{\"items\": [{\"name\": \"a b\", \"n\": 12}, {\"name\": \"c\\\"d\", \"n\": 3}], \"note\": \"x\"}";
        assertThat(accepts(g, full)).isTrue();
        for (int cut = 0; cut < full.length(); cut++) {
            String prefix = full.substring(0, cut);
            String completed = prefix + g.start().advance(prefix).orElseThrow().shortestCompletion();
            assertThat(schema.validate(completed)).as("%s", completed).isEmpty();
        }
    }

    @Test
    void rendersGbnf() {
        String gbnf = compile("{\"type\":\"object\",\"properties\":{\"a\\\"b\":{\"enum\":[\"x\\n\"]}},"
                + "\"required\":[\"a\\\"b\"]}").toGbnf();
        assertThat(gbnf).startsWith("root ::= ").contains("\"{\\\"a\\\\\\\"b\\\": \\\"x\\\\n\\\"}\"");
    }

    @Description("A weather report")
    record Weather(@Description("City name") String city, int temperature, Optional<String> note,
                   Sky sky, List<String> tags, Map<String, Integer> readings, Set<Weather> nearby) { }

    enum Sky { CLEAR, CLOUDY }

    @Test
    void schemasOfJavaTypesCompileAndMapBack() throws Exception {
        JsonSchema schema = JsonSchema.from(Weather.class);
        assertThat(schema.toJson()).contains("\"description\":\"City name\"").contains("CLOUDY")
                .contains("\"additionalProperties\":false");
        Grammar g = JsonSchemaGrammar.compile(schema);
        SplittableRandom random = new SplittableRandom(1);
        for (int i = 0; i < 100; i++) {
            String text = GrammarSampler.sample(g, random, 400);
            assertThat(schema.validate(text)).as(text).isEmpty();
            Weather w = JsonMapper.shared().readValue(text, Weather.class);
            assertThat(w.city()).isNotNull();
        }
        assertThat(schema.toJson()).doesNotContain("\"note\",\"sky\"")
                .as("Optional fields are not required").matches(".*\"required\":\\[[^]]*\\].*");
    }
}
