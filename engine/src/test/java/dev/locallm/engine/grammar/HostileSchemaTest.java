package dev.locallm.engine.grammar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.locallm.error.InvalidRequestException;
import dev.locallm.schema.JsonSchema;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Unsupported and malformed schemas: every one ends in {@link dev.locallm.error.UnsupportedSchemaException} or
 * another {@link InvalidRequestException}, never in another exception, a stack overflow or a hang. (Unknown
 * keywords are not among them: they are annotations, and {@code JsonSchemaGrammarTest} shows them ignored.)
 */
@Timeout(60)
class HostileSchemaTest {

    static Stream<Arguments> schemas() {
        List<String> s = new ArrayList<>();
        // not JSON, or not a schema
        s.addAll(List.of("", "{", "[1,2", "not json", "null", "42", "\"string\"", "[]", "{\"a\":}", "{'type':'x'}"));
        // keyword values of the wrong type
        for (String keyword : List.of("properties", "required", "enum", "anyOf", "oneOf", "allOf", "items",
                "additionalProperties", "minLength", "maxLength", "minItems", "maxItems", "minimum", "maximum",
                "pattern", "format", "$ref", "prefixItems", "exclusiveMinimum", "uniqueItems")) {
            boolean takesString = keyword.equals("pattern") || keyword.equals("format") || keyword.equals("$ref");
            s.add("{\"" + keyword + "\": " + (takesString ? "3" : "\"x\"") + "}");
            if (!keyword.equals("items") && !keyword.equals("additionalProperties")) {
                s.add("{\"" + keyword + "\": {\"nested\": [1, {\"x\": null}]}}");
            }
        }
        s.addAll(List.of("{\"type\": 5}", "{\"type\": [\"string\", 3]}", "{\"type\": \"decimal\"}",
                "{\"required\": [1]}", "{\"enum\": []}", "{\"anyOf\": []}", "{\"minLength\": -1}",
                "{\"maxItems\": 1.5}", "{\"minLength\": 3, \"maxLength\": 2, \"type\": \"string\"}",
                "{\"type\": \"integer\", \"minimum\": 5, \"maximum\": 1}", "{\"minLength\": 1000000}",
                "{\"pattern\": \"(\"}", "{\"pattern\": \"a{1000000}\"}", "{\"pattern\": \"(?=a)b\"}",
                "{\"pattern\": \"\\\\p{L}\"}", "{\"$ref\": \"#/nope\"}", "{\"$ref\": \"#/$defs/%ZZ\"}",
                "{\"$ref\": \"other.json#/a\"}", "{\"$ref\": \"#anchor\"}", "{\"allOf\": [{\"type\": \"string\"}, "
                        + "{\"type\": \"integer\"}]}", "{\"oneOf\": [{}, {}]}", "false",
                "{\"properties\": {\"a\": false}, \"required\": [\"a\"]}",
                "{\"type\": \"object\", \"required\": [\"a\"], \"additionalProperties\": false}",
                "{\"type\": \"number\", \"minimum\": 0.25, \"maximum\": 0.75}", "{\"type\": \"integer\", \"minimum\": 1e300}",
                "{\"type\": \"integer\", \"multipleOf\": 7}", "{\"type\": \"array\", \"uniqueItems\": true}",
                "{\"type\": \"array\", \"contains\": {}}", "{\"propertyNames\": {\"maxLength\": 3}, \"properties\": {\"long\": {}}}",
                "{\"dependentRequired\": {\"a\": [\"b\"]}}", "{\"if\": {}, \"then\": {}}", "{\"not\": {}}",
                "{\"$dynamicRef\": \"#x\"}", "{\"patternProperties\": {\"^a\": {}}}", "{\"minProperties\": 2}",
                "{\"type\": \"string\", \"format\": \"hostname\", \"pattern\": \"^x\"}", "{\"$ref\": \"#/$defs/a\", \"$defs\": {\"a\": "
                        + "{\"$ref\": \"#/$defs/a\"}}}", "{\"$ref\": \"http://[::1\"}"));
        // an assertion no grammar enforces, nested deeper and deeper (unknown keywords beside it are ignored)
        for (int i = 0; i < 20; i++) {
            s.add(nest("{\"type\":\"array\",\"x-note\":" + i + ",\"items\":", "{\"not\":{\"type\":\"null\"}}", "}", i));
        }
        // nesting 400 levels deep (arrays, objects, anyOf), and deeper than the JSON parser allows
        s.add(nest("{\"type\":\"array\",\"items\":", "{\"type\":\"integer\"}", "}", 400));
        s.add(nest("{\"type\":\"object\",\"properties\":{\"a\":", "{}", "}}", 400));
        s.add(nest("{\"anyOf\":[", "{\"type\":\"null\"}", "]}", 400));
        s.add(nest("{\"items\":", "{}", "}", 5000));
        s.add("[".repeat(100_000));
        // huge enums and unions
        StringBuilder enumeration = new StringBuilder("{\"enum\":[");
        for (int i = 0; i < 100_000; i++) {
            enumeration.append(i == 0 ? "" : ",").append('"').append("v").append(i).append('"');
        }
        s.add(enumeration.append("]}").toString());
        s.add("{\"anyOf\":[" + "{\"type\":\"string\"},".repeat(5000) + "{}]}");
        s.add("{\"type\":\"string\",\"minLength\":999999999999}");
        return s.stream().map(Arguments::of);
    }

    private static String nest(String open, String core, String close, int depth) {
        return open.repeat(depth) + core + close.repeat(depth);
    }

    @ParameterizedTest(name = "[{index}]")
    @MethodSource("schemas")
    void endsInATypedError(String schema) {
        Throwable thrown = catchThrowable(() -> JsonSchemaGrammar.compile(JsonSchema.parse(schema)));
        assertThat(thrown).as("schema %s", schema.length() > 120 ? schema.substring(0, 120) + "..." : schema)
                .isInstanceOf(InvalidRequestException.class);
    }

    @org.junit.jupiter.api.Test
    void thereAreAtLeastOneHundredCases() {
        assertThat(schemas().count()).isGreaterThanOrEqualTo(100);
    }
}
