package dev.locallm.schema;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** {@link JsonSchema#validate} reads a schema in the draft it declares; keywords it does not know assert nothing. */
class JsonSchemaValidateTest {
    private static final String DRAFT_04 = "\"$schema\":\"http://json-schema.org/draft-04/schema#\",";
    private static final String DRAFT_07 = "\"$schema\":\"http://json-schema.org/draft-07/schema#\",";

    /** Draft 4's {@code id}, declared or not, used to make the validator refuse the whole schema. */
    @Test
    void draft4SchemasWithIdValidate() {
        String body = "\"id\":\"http://example.com/event.json\",\"type\":\"object\",\"properties\":{\"n\":{\"type\":"
                + "\"integer\",\"minimum\":0,\"exclusiveMinimum\":true}},\"required\":[\"n\"]}";
        for (String schema : new String[] {"{" + DRAFT_04 + body, "{" + body}) {
            JsonSchema parsed = JsonSchema.parse(schema);
            assertThat(parsed.validate("{\"n\": 1}")).as(schema).isEmpty();
            assertThat(parsed.validate("{\"n\": \"1\"}")).as(schema).isNotEmpty();
            assertThat(parsed.validate("{}")).as(schema).isNotEmpty();
        }
        assertThat(JsonSchema.parse("{" + DRAFT_04 + body).validate("{\"n\": 0}")).as("exclusive in draft 4").isNotEmpty();
    }

    @Test
    void theDeclaredDraftDecidesWhatARefsSiblingsMean() {
        String body = "\"definitions\":{\"a\":{\"type\":\"integer\"}},\"properties\":{\"n\":{\"$ref\":\"#/definitions/a\","
                + "\"type\":\"string\"}}}";
        assertThat(JsonSchema.parse("{" + DRAFT_07 + body).validate("{\"n\": 1}")).as("draft 7 ignores the sibling")
                .isEmpty();
        assertThat(JsonSchema.parse("{" + body).validate("{\"n\": 1}")).as("2020-12 applies both").isNotEmpty();
    }

    @Test
    void unknownKeywordsAssertNothing() {
        JsonSchema schema = JsonSchema.parse("{\"type\":\"object\",\"self\":{\"vendor\":\"com.acme\"},"
                + "\"x-kubernetes-preserve-unknown-fields\":true,\"properties\":{\"a\":{\"type\":\"string\",\"javaName\":"
                + "\"A\",\"format\":\"my-format\"}}}");
        assertThat(schema.validate("{\"a\": \"x\"}")).isEmpty();
        assertThat(schema.validate("{\"a\": 1}")).isNotEmpty();
    }

    @Test
    void aRelativeRootIdAndReferencesThroughItValidate() {
        JsonSchema schema = JsonSchema.parse("{\"$id\":\"compose_spec.json\",\"type\":\"object\",\"properties\":"
                + "{\"a\":{\"$ref\":\"compose_spec.json#/definitions/x\"}},\"definitions\":{\"x\":{\"type\":"
                + "\"integer\"}}}");
        assertThat(schema.validate("{\"a\": 1}")).isEmpty();
        assertThat(schema.validate("{\"a\": \"s\"}")).isNotEmpty();
    }

    @Test
    void anItemsArrayWithoutSchemaIsReadAsDraft201909AndAnUnknownSchemaUriAsNone() {
        for (String declared : new String[] {"", "\"$schema\":\"http://iglucentral.com/schemas/self-desc/1-0-0#\","}) {
            JsonSchema schema = JsonSchema.parse("{" + declared + "\"type\":\"array\",\"items\":[{\"type\":"
                    + "\"string\"}],\"additionalItems\":false}");
            assertThat(schema.draft()).contains(SchemaDraft.DRAFT_2019_09);
            assertThat(schema.validate("[\"a\"]")).isEmpty();
            assertThat(schema.validate("[1]")).isNotEmpty();
            assertThat(schema.validate("[\"a\", \"b\"]")).as("no additional items").isNotEmpty();
        }
        assertThat(JsonSchema.parse("{\"type\":\"string\"}").draft()).isEmpty();
        assertThat(JsonSchema.parse("{" + DRAFT_07 + "\"type\":\"string\"}").draft()).contains(SchemaDraft.DRAFT_7);
    }
}
