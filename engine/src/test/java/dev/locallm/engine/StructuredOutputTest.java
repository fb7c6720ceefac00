package dev.locallm.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.locallm.ChatModel;
import dev.locallm.ScriptedEngine;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.ChatResponse;
import dev.locallm.chat.FinishReason;
import dev.locallm.chat.ResponseFormat;
import dev.locallm.chat.StructuredResponse;
import dev.locallm.chat.TruncationPolicy;
import dev.locallm.error.StructuredOutputException;
import dev.locallm.error.TruncatedOutputException;
import dev.locallm.error.UnsupportedSchemaException;
import dev.locallm.schema.JsonSchema;
import dev.locallm.stream.ChatStream;
import dev.locallm.stream.StreamHandler;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Structured output handled by core around an engine that ignores grammars (the worst case). */
class StructuredOutputTest {
    record Point(int x, int y) { }

    /** Records the terminal event of a push stream. */
    private static final class Terminal implements StreamHandler {
        volatile Throwable error;
        volatile boolean completed;

        @Override
        public void onComplete(ChatResponse response) {
            completed = true;
        }

        @Override
        public void onError(Throwable error) {
            this.error = error;
        }
    }

    private static ChatModel model(String... tokens) {
        return ScriptedTextEngine.replaying(List.of(tokens));
    }

    @Test
    void validJsonMapsToARecordAndTheEngineReceivesTheGrammar() {
        var engine = new ScriptedTextEngine(new ScriptedEngine(List.of("{\"x\":", "1,", "\"y\":2}"), false));
        try (ChatModel m = ScriptedTextEngine.chatModel(engine)) {
            Point p = m.chat(ChatRequest.of("where?"), Point.class);
            assertThat(p).isEqualTo(new Point(1, 2));
            StructuredResponse<Point> structured = m.chatStructured(ChatRequest.of("where?"), Point.class);
            assertThat(structured.value()).isEqualTo(new Point(1, 2));
            assertThat(structured.usage().completionTokens()).as("the three tokens").isEqualTo(3);
            assertThat(structured.finishReason()).isEqualTo(FinishReason.STOP);
            assertThat(structured.response().text()).isEqualTo("{\"x\":1,\"y\":2}");
            assertThat(engine.model.requests.get(0).responseFormat().schema()).contains(JsonSchema.from(Point.class));
            assertThat(engine.grammars.get(0)).isPresent();
        }
    }

    @Test
    void invalidOutputIsATypedErrorWithTheRawText() {
        try (ChatModel m = model("{\"x\":", "\"one\"}")) {
            assertThatThrownBy(() -> m.chat(ChatRequest.of("where?"), Point.class))
                    .isInstanceOfSatisfying(StructuredOutputException.class, e -> {
                        assertThat(e.rawText()).isEqualTo("{\"x\":\"one\"}");
                        assertThat(e.errors()).isNotEmpty();
                    })
                    .isNotInstanceOf(TruncatedOutputException.class);
        }
        try (ChatModel m = model("Sure! ", "Here it is.")) {
            assertThatThrownBy(() -> m.chat(ChatRequest.builder().user("x").responseFormat(ResponseFormat.JSON_OBJECT)
                    .build())).isInstanceOf(StructuredOutputException.class).hasMessageContaining("not valid JSON");
        }
    }

    @Test
    void outputCutByTheTokenLimitIsReportedAsTruncation() {
        ChatRequest request = ChatRequest.builder().user("where?").options(o -> o.maxTokens(2))
                .responseFormat(ResponseFormat.jsonSchema(JsonSchema.from(Point.class))).build();
        try (ChatModel m = model("{\"x\":", "1,", "\"y\":2}")) {
            assertThatThrownBy(() -> m.chat(request))
                    .isInstanceOfSatisfying(TruncatedOutputException.class,
                            e -> assertThat(e.rawText()).isEqualTo("{\"x\":1,"));
            try (ChatStream s = m.chatStream(request)) {
                List<String> texts = s.stream().map(c -> c.text()).toList();
                assertThat(String.join("", texts)).isEqualTo("{\"x\":1,");
            }
        }
    }

    @Test
    void anEngineThatCannotEnforceSchemasIsReAskedWithTheErrors() {
        var engine = new ScriptedTextEngine(new ScriptedEngine(List.of("{\"x\":\"one\"}"), false));
        engine.model.repairAttempts = 2;
        engine.model.later.add(List.of("Sorry: ", "{\"x\":1}"));
        engine.model.later.add(List.of("{\"x\":1,", "\"y\":2}"));
        try (ChatModel m = ScriptedTextEngine.chatModel(engine)) {
            assertThat(m.chat(ChatRequest.of("where?"), Point.class)).isEqualTo(new Point(1, 2));
            assertThat(engine.model.requests).hasSize(3);
            ChatRequest last = engine.model.requests.get(2);
            assertThat(last.messages()).hasSize(5);
            assertThat(last.messages().get(3).toString()).contains("Sorry: {\"x\":1}");
            assertThat(last.messages().get(4).toString()).contains("required").contains("not valid JSON");
        }
        var stubborn = new ScriptedTextEngine(new ScriptedEngine(List.of("no"), false));
        stubborn.model.repairAttempts = 1;
        try (ChatModel m = ScriptedTextEngine.chatModel(stubborn)) {
            assertThatThrownBy(() -> m.chat(ChatRequest.of("where?"), Point.class))
                    .isInstanceOf(StructuredOutputException.class);
            assertThat(stubborn.model.requests).as("one try and one repair").hasSize(2);
        }
    }

    @Test
    void closeJsonPolicyCompletesTruncatedOutputSoItValidates() {
        ChatRequest request = ChatRequest.builder().user("where?").options(o -> o.maxTokens(2))
                .truncationPolicy(TruncationPolicy.CLOSE_JSON).build();
        try (ChatModel m = model("{\"x\":", "1,", "\"y\":2}")) {
            Point p = m.chat(request, Point.class);
            assertThat(p.x()).isEqualTo(1);
            var response = m.chat(request.toBuilder()
                    .responseFormat(ResponseFormat.jsonSchema(JsonSchema.from(Point.class))).build());
            assertThat(response.finishReason()).isEqualTo(FinishReason.LENGTH);
            assertThat(response.text()).startsWith("{\"x\":1,").endsWith("}");
        }
    }

    @Test
    void pushStreamingReportsInvalidOutputThroughOnError() {
        var recorder = new Terminal();
        try (ChatModel m = model("no json here")) {
            m.chatStream(ChatRequest.builder().user("x").responseFormat(ResponseFormat.JSON_OBJECT).build(), recorder);
        }
        assertThat(recorder.error).isInstanceOf(StructuredOutputException.class);
        assertThat(recorder.completed).isFalse();
    }

    @Test
    void unsupportedSchemasFailBeforeTheEngineRuns() {
        var engine = new ScriptedTextEngine(new ScriptedEngine(List.of("x"), false));
        try (ChatModel m = ScriptedTextEngine.chatModel(engine)) {
            assertThatThrownBy(() -> m.chat(ChatRequest.builder().user("x").responseFormat(ResponseFormat.jsonSchema(
                    JsonSchema.parse("{\"type\":\"array\",\"uniqueItems\":true}"))).build()))
                    .isInstanceOf(UnsupportedSchemaException.class);
            assertThat(engine.model.requests).isEmpty();
        }
    }
}
