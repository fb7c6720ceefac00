package dev.locallm.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.locallm.error.InvalidRequestException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link JsonSchema#parse} accepts well-formed schemas of drafts 4 to 2020-12 and names what is malformed. */
class JsonSchemaParseTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"type\":5}                                              | #/type",
        "{\"type\":\"text\"}                                       | #/type",
        "{\"type\":[]}                                             | #/type",
        "{\"required\":\"a\"}                                      | #/required",
        "{\"required\":[1]}                                        | #/required",
        "{\"properties\":[]}                                       | #/properties",
        "{\"properties\":{\"a\":{\"type\":\"strin\"}}}             | #/properties/a/type",
        "{\"properties\":{\"a\":3}}                                | #/properties/a",
        "{\"items\":[{\"type\":1}]}                                | #/items/0/type",
        "{\"anyOf\":[]}                                            | #/anyOf",
        "{\"oneOf\":{}}                                            | #/oneOf",
        "{\"minLength\":-1}                                        | #/minLength",
        "{\"maxItems\":1.5}                                        | #/maxItems",
        "{\"minimum\":\"0\"}                                       | #/minimum",
        "{\"multipleOf\":0}                                        | #/multipleOf",
        "{\"pattern\":1}                                           | #/pattern",
        "{\"$ref\":{}}                                             | #/$ref",
        "{\"additionalProperties\":\"no\"}                         | #/additionalProperties",
        "{\"$defs\":{\"x\":{\"enum\":\"a\"}}}                      | #/$defs/x/enum",
    })
    void malformedSchemasNameThePointer(String schema, String pointer) {
        assertThatThrownBy(() -> JsonSchema.parse(schema)).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("malformed at " + pointer + ":");
    }

    @ParameterizedTest
    @ValueSource(strings = {"true", "{}", "{\"type\":[\"string\",\"null\"]}", "{\"exclusiveMinimum\":true,"
            + "\"minimum\":0}", "{\"items\":[{\"type\":\"string\"}],\"additionalItems\":false}",
        "{\"definitions\":{\"a\":{}},\"$ref\":\"#/definitions/a\"}", "{\"x-vendor\":5,\"maxLength\":3.0}",
        "{\"$schema\":\"http://json-schema.org/draft-07/schema#\",\"dependencies\":{\"a\":[\"b\"]}}"})
    void wellFormedSchemasOfEveryDraftParse(String schema) {
        assertThat(JsonSchema.parse(schema).toJson()).isNotEmpty();
    }

    @org.junit.jupiter.api.Test
    void hostileNestingIsRefusedWithoutExhaustingTheStack() {
        String deep = "{\"items\":".repeat(400) + "{}" + "}".repeat(400);
        assertThatThrownBy(() -> JsonSchema.parse(deep)).isInstanceOf(InvalidRequestException.class);
    }
}
