package dev.locallm.engine.grammar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.locallm.error.UnsupportedSchemaException;
import dev.locallm.schema.JsonSchema;
import dev.locallm.schema.SchemaAssertion;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * What a grammar cannot enforce is left to validation and named; what it can, it enforces, so that a grammar that
 * leaves nothing is sound. Grammar-only compilation refuses what would be left.
 */
class SchemaLeftToValidationTest {

    /** Each schema, the assertion left at the root, an invalid text its grammar accepts, and a valid one. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            {"type":"array","items":{"type":"integer"},"uniqueItems":true} | uniqueItems | [1, 1] | [1, 2]
            {"oneOf":[{"type":"string","maxLength":3},{"type":"string","minLength":2}]} | oneOf | "ab" | "a"
            {"type":"integer","not":{"const":3}} | not | 3 | 4
            {"type":"number","multipleOf":0.5} | multipleOf | 0.3 | 1.5
            {"type":"integer","multipleOf":3} | multipleOf | 4 | 6
            {"type":"string","pattern":"^a+$","maxLength":2} | maxLength | "aaa" | "aa"
            {"type":"string","format":"date","pattern":"^2"} | pattern | "1999-01-01" | "2020-01-01"
            {"type":"string","format":"hostname","minLength":8} | minLength | "a" | "example.com"
            {"type":"number","minimum":0.25,"maximum":0.75} | minimum | 0.1 | 0.5
            {"allOf":[{"type":"string","pattern":"^[ab]+$"},{"type":"string","pattern":"^[bc]+$"}]} | allOf | "a" | "bb"
            {"type":"object","additionalProperties":{"type":"integer"},"dependentRequired":{"a":["b"]}} | dependentRequired | {"a": 1} | {"a": 1, "b": 2}
            {"type":"object","properties":{"k":{"type":"string"}},"if":{"required":["k"]},"then":{"properties":{"k":{"const":"x"}}}} | if | {"k": "y"} | {"k": "x"}
            {"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"integer"}},"minProperties":1} | minProperties | {} | {"a": 1}
            {"type":"array","items":{"type":"integer"},"contains":{"const":5}} | contains | [1] | [5]
            """)
    void whatNoGrammarEnforcesIsNamedAndTheGrammarAllowsMore(String schema, String keyword, String invalid,
                                                            String valid) {
        JsonSchema parsed = JsonSchema.parse(schema);
        Grammar g = JsonSchemaGrammar.compileLeavingToValidation(parsed, false);
        assertThat(g.unenforced()).contains(new SchemaAssertion("response_format", keyword, "#"));
        assertThat(parsed.validate(invalid)).as("the test's invalid text").isNotEmpty();
        assertThat(parsed.validate(valid)).as("the test's valid text").isEmpty();
        assertThat(accepts(g, invalid)).as("a superset: validation rejects %s", invalid).isTrue();
        assertThat(accepts(g, valid)).isTrue();
        assertThatThrownBy(() -> JsonSchemaGrammar.compile(parsed))
                .isInstanceOfSatisfying(UnsupportedSchemaException.class, e -> assertThat(e.keyword()).isEqualTo(keyword));
        SplittableRandom random = new SplittableRandom(schema.hashCode());
        for (int i = 0; i < 20; i++) {
            String sample = GrammarSampler.sample(g, random, 120);
            assertThat(JsonSchema.parse("true").validate(sample)).as("sample %s is JSON", sample).isEmpty();
        }
    }

    @Test
    void nestedAssertionsAreNamedByWhereTheyStandAndWhichToolHoldsThem() {
        Grammar g = JsonSchemaGrammar.compileLeavingToValidation(JsonSchema.parse("{\"type\":\"object\",\"properties\":"
                + "{\"tags\":{\"type\":\"array\",\"uniqueItems\":true},\"n\":{\"type\":\"number\",\"multipleOf\":0.3}}}"),
                false);
        assertThat(g.unenforced()).extracting(Object::toString).containsExactly(
                "uniqueItems at response_format#/properties/tags", "multipleOf at response_format#/properties/n");
    }

    @Test
    void patternPropertiesAndPropertyNamesAreEnforcedWhereNoOtherMemberCanAppear() {
        Grammar patterned = grammarOnly("{\"type\":\"object\",\"patternProperties\":{\"^x-[a-z]+$\":{\"type\":"
                + "\"integer\"}},\"additionalProperties\":false}");
        assertThat(accepts(patterned, "{\"x-a\": 1, \"x-bc\": 2}")).isTrue();
        assertThat(accepts(patterned, "{\"y\": 1}")).isFalse();
        assertThat(accepts(patterned, "{\"x-a\": \"s\"}")).isFalse();
        Grammar named = grammarOnly("{\"type\":\"object\",\"propertyNames\":{\"pattern\":\"^[a-z]+$\"},"
                + "\"additionalProperties\":{\"type\":\"integer\"}}");
        assertThat(accepts(named, "{\"ab\": 1}")).isTrue();
        assertThat(accepts(named, "{\"Ab\": 1}")).isFalse();
        Grammar declared = grammarOnly("{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"}},"
                + "\"patternProperties\":{\"^x-\":{\"type\":\"integer\"}},\"propertyNames\":{\"maxLength\":8}}");
        assertThat(accepts(declared, "{\"name\": \"n\"}")).isTrue();
    }

    @Test
    void aRemoteReferenceIsRefusedByNameEvenWhereOnlyValidationWouldFollowIt() {
        for (String schema : new String[] {"{\"type\":\"object\",\"not\":{\"$ref\":\"https://example.com/a.json\"}}",
            "{\"if\":{\"$ref\":\"other.json#/x\"},\"then\":{\"type\":\"string\"}}"}) {
            assertThatThrownBy(() -> JsonSchemaGrammar.compileLeavingToValidation(JsonSchema.parse(schema), false))
                    .isInstanceOfSatisfying(UnsupportedSchemaException.class, e -> {
                        assertThat(e.keyword()).isEqualTo("$ref");
                        assertThat(e.getMessage()).contains("remote reference");
                    });
        }
    }

    @Test
    void multipleOfAPowerOfTenIsEnforcedByTheDigits() {
        Grammar cents = grammarOnly("{\"type\":\"number\",\"multipleOf\":0.01,\"minimum\":0,\"maximum\":100}");
        assertThat(accepts(cents, "12.34")).isTrue();
        assertThat(accepts(cents, "12.345")).isFalse();
        assertThat(accepts(cents, "-1")).isFalse();
        Grammar halves = grammarOnly("{\"type\":\"integer\",\"multipleOf\":0.5}");
        assertThat(accepts(halves, "7")).as("every integer is a multiple of 0.5").isTrue();
        Grammar tenths = grammarOnly("{\"type\":\"number\",\"multipleOf\":0.1}");
        assertThat(accepts(tenths, "-3.5")).isTrue();
        assertThat(accepts(tenths, "3.55")).isFalse();
    }

    @Test
    void dependentRequiredIsEnforcedOnDeclaredProperties() {
        Grammar g = grammarOnly("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"},\"b\":{\"type\":"
                + "\"integer\"},\"c\":{\"type\":\"integer\"}},\"dependentRequired\":{\"a\":[\"b\"]}}");
        assertThat(accepts(g, "{\"a\": 1}")).isFalse();
        assertThat(accepts(g, "{\"b\": 1, \"c\": 2}")).isTrue();
        Grammar chained = grammarOnly("{\"$schema\":\"http://json-schema.org/draft-07/schema#\",\"type\":\"object\","
                + "\"properties\":{\"a\":{\"type\":\"integer\"},\"b\":{\"type\":\"integer\"},\"c\":{\"type\":"
                + "\"integer\"}},\"required\":[\"a\"],\"dependencies\":{\"a\":[\"b\"],\"b\":[\"c\"]}}");
        assertThat(accepts(chained, "{\"a\": 1, \"b\": 2}")).isFalse();
        assertThat(accepts(chained, "{\"a\": 1, \"b\": 2, \"c\": 3}")).isTrue();
    }

    @Test
    void propertyCountsOfAMapAreEnforced() {
        Grammar most = grammarOnly("{\"type\":\"object\",\"additionalProperties\":{\"type\":\"integer\"},"
                + "\"maxProperties\":2}");
        assertThat(accepts(most, "{\"a\": 1, \"b\": 2}")).isTrue();
        assertThat(accepts(most, "{\"a\": 1, \"b\": 2, \"c\": 3}")).isFalse();
        Grammar least = grammarOnly("{\"type\":\"object\",\"additionalProperties\":{\"type\":\"integer\"},"
                + "\"minProperties\":1}");
        assertThat(accepts(least, "{}")).isFalse();
        assertThat(accepts(least, "{\"a\": 1}")).isTrue();
    }

    @Test
    void branchesAndOptionalPropertiesThatNoValueSatisfiesAreLeftOut() {
        Grammar branches = grammarOnly("{\"anyOf\":[{\"allOf\":[{\"type\":\"string\"},{\"type\":\"integer\"}]},"
                + "{\"type\":\"boolean\"},{\"$ref\":\"#/$defs/never\"}],\"$defs\":{\"never\":{\"type\":\"integer\","
                + "\"minimum\":5,\"maximum\":1}}}");
        assertThat(accepts(branches, "true")).isTrue();
        assertThat(accepts(branches, "\"a\"")).isFalse();
        Grammar optional = grammarOnly("{\"type\":\"object\",\"properties\":{\"a\":{\"$ref\":\"#/$defs/never\"},"
                + "\"b\":{\"type\":\"string\"},\"c\":{\"$ref\":\"#/$defs/never\"}},\"$defs\":{\"never\":{\"enum\":"
                + "[1, 2],\"type\":\"string\"}}}");
        assertThat(accepts(optional, "{\"b\": \"x\"}")).isTrue();
        assertThat(accepts(optional, "{\"a\": 1}")).isFalse();
        assertThatThrownBy(() -> grammarOnly("{\"type\":\"object\",\"properties\":{\"a\":{\"enum\":[1],"
                + "\"type\":\"string\"}},\"required\":[\"a\"]}")).isInstanceOf(UnsupportedSchemaException.class);
        assertThatThrownBy(() -> grammarOnly("{\"anyOf\":[false,{\"not\":{}},{\"type\":\"integer\",\"minimum\":2,"
                + "\"maximum\":1}]}")).isInstanceOf(UnsupportedSchemaException.class);
    }

    @Test
    void membersAndItemsThatNoValueSatisfiesAreLeftOutOfMapsAndArrays() {
        String never = "{\"type\":\"integer\",\"minimum\":5,\"maximum\":1}";
        Grammar map = grammarOnly("{\"type\":\"object\",\"additionalProperties\":" + never + "}");
        assertThat(accepts(map, "{}")).isTrue();
        assertThat(accepts(map, "{\"a\": 3}")).isFalse();
        Grammar patterned = grammarOnly("{\"type\":\"object\",\"patternProperties\":{\"^a\":" + never + "},"
                + "\"additionalProperties\":false}");
        assertThat(accepts(patterned, "{}")).isTrue();
        Grammar list = grammarOnly("{\"type\":\"array\",\"items\":" + never + "}");
        assertThat(accepts(list, "[]")).isTrue();
        assertThat(accepts(list, "[3]")).isFalse();
        Grammar tuple = grammarOnly("{\"type\":\"array\",\"prefixItems\":[{\"type\":\"integer\"}," + never + "]}");
        assertThat(accepts(tuple, "[1]")).isTrue();
        assertThat(accepts(tuple, "[1, 2]")).as("the second item can have no value").isFalse();
        assertThatThrownBy(() -> grammarOnly("{\"type\":\"array\",\"items\":" + never + ",\"minItems\":1}"))
                .isInstanceOf(UnsupportedSchemaException.class);
    }

    @Test
    void boundsBeyondWhatTheGrammarWritesAreNoBoundsAndLongLengthsAreCut() {
        Grammar g = grammarOnly("{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"integer\",\"minimum\":0,"
                + "\"maximum\":9223372036854775807},\"s\":{\"type\":\"string\",\"maxLength\":65535},\"n\":{\"type\":"
                + "\"number\",\"maximum\":1e300}},\"required\":[\"id\",\"s\",\"n\"]}");
        assertThat(accepts(g, "{\"id\": 123456789012345, \"s\": \"x\", \"n\": 2.5}")).isTrue();
        assertThat(accepts(g, "{\"id\": -1, \"s\": \"x\", \"n\": 2.5}")).isFalse();
        assertThat(accepts(g, "{\"id\": 1, \"s\": \"" + "x".repeat(JsonSchemaGrammar.MAX_COUNT + 1) + "\", \"n\": 0}"))
                .as("a sound subset: strings up to %d characters", JsonSchemaGrammar.MAX_COUNT).isFalse();
        assertThatThrownBy(() -> grammarOnly("{\"type\":\"string\",\"minLength\":20000}"))
                .isInstanceOf(UnsupportedSchemaException.class);
        assertThatThrownBy(() -> grammarOnly("{\"type\":\"integer\",\"minimum\":1e17}"))
                .isInstanceOf(UnsupportedSchemaException.class);
    }

    /** Compiles enforcing all of the schema, and checks what the grammar writes validates. */
    private static Grammar grammarOnly(String schema) {
        JsonSchema parsed = JsonSchema.parse(schema);
        Grammar g = JsonSchemaGrammar.compile(parsed);
        assertThat(g.unenforced()).isEmpty();
        GrammarSampler.assertSamplesValidate(g, parsed, 30);
        return g;
    }

    private static boolean accepts(Grammar g, String text) {
        return g.start().matchesCompletely(text);
    }
}
