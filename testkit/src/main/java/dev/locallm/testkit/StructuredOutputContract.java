package dev.locallm.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.locallm.ChatModel;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.ChatResponse;
import dev.locallm.chat.FinishReason;
import dev.locallm.chat.ResponseFormat;
import dev.locallm.chat.TruncationPolicy;
import dev.locallm.error.TruncatedOutputException;
import dev.locallm.error.UnsupportedSchemaException;
import dev.locallm.schema.Description;
import dev.locallm.schema.JsonSchema;
import dev.locallm.schema.SchemaValidator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * What every backend that claims {@code structuredOutput} must show: JSON output that validates and maps to
 * Java types, whatever the model would have said, truncation reported or closed, unsupported schemas refused
 * before generation. Extend it like {@link ChatModelContract}; the model needs a context of at least 1024
 * tokens.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
public abstract class StructuredOutputContract {

    protected ChatModel model;

    protected abstract ChatModel openModel();

    @BeforeAll
    void openSharedModel() {
        model = openModel();
        assertThat(model.capabilities().structuredOutput()).as("capabilities().structuredOutput()").isTrue();
    }

    @AfterAll
    void closeSharedModel() {
        if (model != null) {
            model.close();
        }
    }

    @Description("A product listing")
    public record Product(@Description("Product name") String name, int quantity, boolean available,
                          List<String> tags, Map<String, Integer> stock, Optional<String> note, Size size) { }

    public enum Size { SMALL, MEDIUM, LARGE }

    private static ChatRequest.Builder ask(long seed, int maxTokens) {
        return ChatRequest.builder().user("Describe a product as JSON.").truncationPolicy(TruncationPolicy.CLOSE_JSON)
                .options(o -> o.temperature(0.9).seed(seed).maxTokens(maxTokens));
    }

    @Test
    void outputMapsToARecordForEverySeed() {
        for (long seed = 0; seed < 5; seed++) {
            Product p = model.chat(ask(seed, 300).build(), Product.class);
            assertThat(p.name()).isNotNull();
            assertThat(p.size()).isNotNull();
            assertThat(p.tags()).isNotNull();
        }
    }

    @Test
    void schemaOutputValidatesAndStreamsTheSameText() {
        JsonSchema schema = JsonSchema.parse("""
                {"type":"object","properties":{"id":{"type":"integer","minimum":1,"maximum":999},
                 "email":{"type":"string","format":"email"},"when":{"type":"string","format":"date"},
                 "scores":{"type":"array","items":{"type":"number","minimum":0},"minItems":1,"maxItems":3}},
                 "required":["id","email","when","scores"],"additionalProperties":false}""");
        ChatRequest request = ask(3, 200).responseFormat(ResponseFormat.jsonSchema("record", schema))
                .options(o -> o.temperature(0)).build();
        ChatResponse blocking = model.chat(request);
        assertThat(SchemaValidator.validate(schema, blocking.text())).isEmpty();
        try (var stream = model.chatStream(request)) {
            assertThat(stream.stream().map(c -> c.text()).reduce("", String::concat)).isEqualTo(blocking.text());
        }
    }

    @Test
    void jsonObjectModeReturnsAnObject() {
        ChatResponse r = model.chat(ask(5, 100).responseFormat(ResponseFormat.JSON_OBJECT).build());
        assertThat(r.text().strip()).startsWith("{").endsWith("}");
        assertThat(SchemaValidator.validate(JsonSchema.parse("{\"type\":\"object\"}"), r.text())).isEmpty();
    }

    @Test
    void truncationIsReportedOrClosed() {
        ChatRequest cut = ask(7, 6).truncationPolicy(TruncationPolicy.FAIL)
                .responseFormat(ResponseFormat.jsonSchema(JsonSchema.from(Product.class))).build();
        assertThatThrownBy(() -> model.chat(cut)).isInstanceOfSatisfying(TruncatedOutputException.class,
                e -> assertThat(e.rawText().strip()).startsWith("{"));
        ChatResponse closed = model.chat(cut.toBuilder().truncationPolicy(TruncationPolicy.CLOSE_JSON).build());
        assertThat(closed.finishReason()).isEqualTo(FinishReason.LENGTH);
        assertThat(SchemaValidator.validate(JsonSchema.from(Product.class), closed.text())).isEmpty();
    }

    @Test
    void unsupportedSchemasAreRefusedBeforeGeneration() {
        assertThatThrownBy(() -> model.chat(ask(1, 10).responseFormat(ResponseFormat.jsonSchema(JsonSchema.parse(
                "{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"uniqueItems\":true}"))).build()))
                .isInstanceOfSatisfying(UnsupportedSchemaException.class, e -> {
                    assertThat(e.keyword()).isEqualTo("uniqueItems");
                    assertThat(e.pointer()).isEqualTo("#");
                });
    }
}
