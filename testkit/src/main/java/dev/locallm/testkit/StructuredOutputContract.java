package dev.locallm.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.locallm.ChatModel;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.ChatResponse;
import dev.locallm.chat.FinishReason;
import dev.locallm.chat.ResponseFormat;
import dev.locallm.chat.TruncationPolicy;
import dev.locallm.error.StructuredOutputException;
import dev.locallm.error.TruncatedOutputException;
import dev.locallm.error.UnsupportedSchemaException;
import dev.locallm.schema.Description;
import dev.locallm.schema.JsonSchema;
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

    /** The model under test, opened once for the class by {@link #openModel()}. */
    protected ChatModel model;

    /** Opens the model under test; the suite closes it. */
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
    /**
     * What the suite asks for: strings, numbers, an enum, a list and an optional, with descriptions.
     *
     * @param name      the product's name
     * @param quantity  how many
     * @param available whether it can be ordered
     * @param tags      labels
     * @param stock     units by warehouse
     * @param note      a remark, if any
     * @param size      its size
     */
    public record Product(@Description("Product name") String name, int quantity, boolean available,
                          List<String> tags, Map<String, Integer> stock, Optional<String> note, Size size) { }

    /** A product's size. */
    public enum Size {
        /** Small. */
        SMALL,
        /** Medium. */
        MEDIUM,
        /** Large. */
        LARGE
    }

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
        assertThat(schema.validate(blocking.text())).isEmpty();
        try (var stream = model.chatStream(request)) {
            assertThat(stream.stream().map(c -> c.text()).reduce("", String::concat)).isEqualTo(blocking.text());
        }
    }

    @Test
    void jsonObjectModeReturnsAnObject() {
        ChatResponse r = model.chat(ask(5, 100).responseFormat(ResponseFormat.JSON_OBJECT).build());
        assertThat(r.text().strip()).startsWith("{").endsWith("}");
        assertThat(JsonSchema.parse("{\"type\":\"object\"}").validate(r.text())).isEmpty();
    }

    @Test
    void truncationIsReportedOrClosed() {
        ChatRequest cut = ask(7, 6).truncationPolicy(TruncationPolicy.FAIL)
                .responseFormat(ResponseFormat.jsonSchema(JsonSchema.from(Product.class))).build();
        assertThatThrownBy(() -> model.chat(cut)).isInstanceOfSatisfying(TruncatedOutputException.class,
                e -> assertThat(e.rawText().strip()).startsWith("{"));
        ChatResponse closed = model.chat(cut.toBuilder().truncationPolicy(TruncationPolicy.CLOSE_JSON).build());
        assertThat(closed.finishReason()).isEqualTo(FinishReason.LENGTH);
        assertThat(JsonSchema.from(Product.class).validate(closed.text())).isEmpty();
    }

    /**
     * A schema the backend cannot enforce never gives unchecked output: either it is refused before generation
     * (a backend that compiles schemas to grammars names the keyword), or the reply was checked against it (a
     * server that enforces schemas itself, or a reply re-asked until valid or refused with the errors).
     */
    @Test
    void schemasTheBackendCannotEnforceAreRefusedOrChecked() {
        JsonSchema unique = JsonSchema.parse("{\"type\":\"array\",\"items\":{\"type\":\"string\"},"
                + "\"uniqueItems\":true}");
        try {
            ChatResponse r = model.chat(ask(1, 40).responseFormat(ResponseFormat.jsonSchema(unique)).build());
            assertThat(unique.validate(r.text())).as(r.text()).isEmpty();
        } catch (UnsupportedSchemaException e) {
            assertThat(e.keyword()).isEqualTo("uniqueItems");
            assertThat(e.pointer()).isEqualTo("#");
        } catch (TruncatedOutputException e) {
            assertThat(e.rawText()).isNotNull();
        } catch (StructuredOutputException e) {
            assertThat(e.errors()).isNotEmpty();
        }
    }
}
