package dev.locallm.engine.grammar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.locallm.error.InvalidRequestException;
import dev.locallm.error.UnsupportedSchemaException;
import dev.locallm.schema.JsonSchema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Cases an independent review found: schemas whose grammar accepted JSON the validator rejects, or whose
 * compilation or validation crashed or did not end. Each grammar now rejects the text, names what it leaves to
 * validation, or the schema is refused by name.
 */
@Timeout(120)
class ReviewedSoundnessTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            {"const":"a","enum":["b"]} | "a"
            {"$schema":"http://json-schema.org/draft-04/schema#","type":"integer","enum":[1.0,2]} | 1.0
            {"type":"object","propertyNames":{"type":"integer"}} | {"a": 1}
            {"allOf":[{"additionalProperties":false}],"patternProperties":{"^a$":{}}} | {"a": 1}
            {"allOf":[{"patternProperties":{"^a$":{}}},{"unevaluatedProperties":false}]} | {"a": 1}
            {"type":"string","pattern":"^\\\\s$"} | "\\u00a0"
            {"type":"object","patternProperties":{"^.$":{"type":"integer"}},"additionalProperties":false} | {"\\u0085": 1}
            {"type":"string","format":"email"} | "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@a.com"
            {"type":"string","format":"alpha"} | "1"
            """)
    void theGrammarRejectsTheTextOrNamesWhatItLeavesToValidation(String schema, String invalid) {
        JsonSchema parsed = JsonSchema.parse(schema);
        String text = JsonLayout.COMPACT.write(tools.jackson.databind.json.JsonMapper.shared().readTree(invalid));
        assertThat(parsed.validate(text)).as("the text is invalid").isNotEmpty();
        for (boolean grammarOnly : new boolean[] {true, false}) {
            Grammar g;
            try {
                g = grammarOnly ? JsonSchemaGrammar.compile(parsed)
                        : JsonSchemaGrammar.compileLeavingToValidation(parsed, false);
            } catch (UnsupportedSchemaException e) {
                continue;
            }
            if (g.unenforced().isEmpty()) {
                assertThat(g.start().matchesCompletely(text)).as("%s accepts %s", schema, text).isFalse();
                GrammarSampler.assertSamplesValidate(g, parsed, 50);
            }
        }
    }

    @Test
    void aPropertyNameSchemaBehindADraft7ReferenceStillGivesStringNames() {
        JsonSchema parsed = JsonSchema.parse("{\"$schema\":\"http://json-schema.org/draft-07/schema#\",\"type\":"
                + "\"object\",\"propertyNames\":{\"$ref\":\"#/definitions/n\"},\"additionalProperties\":{\"type\":"
                + "\"integer\"},\"definitions\":{\"n\":{\"maxLength\":3}}}");
        GrammarSampler.assertSamplesValidate(JsonSchemaGrammar.compile(parsed), parsed, 50);
    }

    @Test
    void hugeCountsAndCatastrophicPatternsEndInAGrammarOrATypedError() {
        String slow = "a".repeat(40) + "!";
        for (String schema : new String[] {"{\"enum\":[\"a\"],\"maxLength\":1e10}",
            "{\"type\":\"object\",\"properties\":{\"a\":{}},\"maxProperties\":10000000000}",
            "{\"type\":\"object\",\"properties\":{\"a\":{}},\"minProperties\":10000000000}",
            "{\"type\":\"object\",\"properties\":{\"" + slow + "\":{}},\"patternProperties\":{\"^(.*a){20}$\":{}}}",
            "{\"enum\":[\"" + slow + "\"],\"pattern\":\"^(.*a){20}$\"}"}) {
            for (boolean grammarOnly : new boolean[] {true, false}) {
                assertThatCode(() -> {
                    try {
                        JsonSchema parsed = JsonSchema.parse(schema);
                        if (grammarOnly) {
                            JsonSchemaGrammar.compile(parsed);
                        } else {
                            JsonSchemaGrammar.compileLeavingToValidation(parsed, false);
                        }
                    } catch (InvalidRequestException e) {
                        // a typed refusal
                    }
                }).as(schema).doesNotThrowAnyException();
            }
        }
    }

    @Test
    void validationThatCannotRunIsATypedErrorAndAValueItCannotReadIsInvalid() {
        JsonSchema looping = JsonSchema.parse("{\"anyOf\":[{\"$ref\":\"#/$defs/D\"},{\"type\":\"null\"}],\"$defs\":"
                + "{\"D\":{\"$ref\":\"#\",\"allOf\":[{\"type\":\"string\"},{\"type\":\"null\"}]}}}");
        assertThatCode(() -> {
            try {
                looping.validate("null");
            } catch (InvalidRequestException e) {
                // typed
            }
        }).doesNotThrowAnyException();
        JsonSchema large = JsonSchema.parse("{\"anyOf\":[{\"type\":\"integer\",\"minimum\":1},{\"type\":\"number\"}]}");
        assertThatCode(() -> large.validate("1e20")).doesNotThrowAnyException();
        JsonSchema rooted = JsonSchema.parse("{\"$id\":\"/schemas/s.json\",\"$defs\":{\"a\":{\"type\":\"integer\"}},"
                + "\"properties\":{\"p\":{\"$ref\":\"/schemas/s.json#/$defs/a\"}}}");
        assertThat(rooted.validate("{\"p\": 1}")).isEmpty();
        assertThat(rooted.validate("{\"p\": \"x\"}")).isNotEmpty();
    }
}
