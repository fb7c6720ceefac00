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
    void aGrammarOnlyFormatRefusesWhatNoGrammarEnforcesBeforeTheEngineRuns() {
        var engine = new ScriptedTextEngine(new ScriptedEngine(List.of("x"), false));
        try (ChatModel m = ScriptedTextEngine.chatModel(engine)) {
            assertThatThrownBy(() -> m.chat(ChatRequest.builder().user("x").responseFormat(ResponseFormat.jsonSchema(
                    UNIQUE_INTEGERS).grammarOnly()).build()))
                    .isInstanceOf(UnsupportedSchemaException.class)
                    .hasMessageContaining("uniqueItems");
            assertThat(engine.model.requests).isEmpty();
        }
    }

    private static final JsonSchema UNIQUE_INTEGERS = JsonSchema.parse(
            "{\"type\":\"array\",\"items\":{\"type\":\"integer\"},\"uniqueItems\":true}");

    @Test
    void aReplyThatFailsAnAssertionLeftToValidationIsSampledAgain() {
        var scripted = new ScriptedEngine(List.of("[1, ", "1]"), false);
        scripted.later.add(List.of("[1, ", "1]"));
        scripted.later.add(List.of("[1, ", "2]"));
        var engine = new ScriptedTextEngine(scripted);
        try (ChatModel m = ScriptedTextEngine.chatModel(engine)) {
            ChatResponse r = m.chat(ChatRequest.builder().user("x").responseFormat(ResponseFormat.jsonSchema(
                    UNIQUE_INTEGERS)).options(o -> o.seed(7).temperature(0)).build());
            assertThat(r.text()).isEqualTo("[1, 2]");
            assertThat(r.attempts()).isEqualTo(3);
            assertThat(r.validatedAssertions()).extracting(Object::toString)
                    .containsExactly("uniqueItems at response_format#");
            assertThat(scripted.requests).hasSize(3);
            assertThat(scripted.requests.get(1).options().seed()).as("a new seed").hasValue(8);
            assertThat(scripted.requests.get(1).options().temperature()).as("greedy would repeat itself")
                    .hasValue(0.8);
            assertThat(scripted.requests.get(2).options().seed().getAsLong()).isNotIn(7L, 8L);
            assertThat(engine.grammars.get(0).orElseThrow().unenforced()).isEqualTo(r.validatedAssertions());
        }
    }

    @Test
    void whenEverySampleFailsTheExceptionCarriesEachAttempt() {
        var scripted = new ScriptedEngine(List.of("[3, 3]"), false);
        try (ChatModel m = ScriptedTextEngine.chatModel(new ScriptedTextEngine(scripted))) {
            assertThatThrownBy(() -> m.chat(ChatRequest.builder().user("x").responseFormat(ResponseFormat.jsonSchema(
                    UNIQUE_INTEGERS)).build()))
                    .isInstanceOfSatisfying(StructuredOutputException.class, e -> {
                        assertThat(e.attempts()).containsExactly("[3, 3]", "[3, 3]", "[3, 3]", "[3, 3]");
                        assertThat(e.rawText()).isEqualTo("[3, 3]");
                        assertThat(e.errors()).isNotEmpty();
                        assertThat(e.getMessage()).contains("after 4 attempts");
                    });
            assertThat(scripted.requests).as("the first reply and three more samples").hasSize(4);
        }
    }

    @Test
    void aValidReplyIsNotSampledAgainAndSaysWhatValidationChecked() {
        var scripted = new ScriptedEngine(List.of("[1, 2, 3]"), false);
        try (ChatModel m = ScriptedTextEngine.chatModel(new ScriptedTextEngine(scripted))) {
            ChatResponse r = m.chat(ChatRequest.builder().user("x").responseFormat(ResponseFormat.jsonSchema(
                    UNIQUE_INTEGERS)).build());
            assertThat(r.attempts()).isEqualTo(1);
            assertThat(r.validatedAssertions()).hasSize(1);
            assertThat(scripted.requests).hasSize(1);
            ChatResponse plain = m.chat(ChatRequest.builder().user("x").responseFormat(ResponseFormat.jsonSchema(
                    JsonSchema.parse("{\"type\":\"array\"}"))).build());
            assertThat(plain.validatedAssertions()).as("a grammar enforces all of it").isEmpty();
        }
    }

    @Test
    void aStreamReadOnlyForItsResponseIsSampledAgainAsABlockingCallIs() {
        var scripted = new ScriptedEngine(List.of("[4, 4]"), false);
        scripted.later.add(List.of("[4, 5]"));
        try (ChatModel m = ScriptedTextEngine.chatModel(new ScriptedTextEngine(scripted))) {
            ChatRequest request = ChatRequest.builder().user("x").responseFormat(ResponseFormat.jsonSchema(
                    UNIQUE_INTEGERS)).build();
            try (ChatStream stream = m.chatStream(request)) {
                ChatResponse r = stream.response();
                assertThat(r.text()).isEqualTo("[4, 5]");
                assertThat(r.attempts()).isEqualTo(2);
            }
            try (ChatStream read = m.chatStream(request)) {
                assertThat(read.stream().map(c -> c.text()).reduce("", String::concat)).as("its chunks were seen")
                        .isEqualTo("[4, 4]");
                assertThatThrownBy(read::response).isInstanceOf(StructuredOutputException.class);
            }
        }
    }

    @Test
    void aStreamCannotBeSampledAgainSoItEndsInTheValidationError() {
        var scripted = new ScriptedEngine(List.of("[5, 5]"), false);
        try (ChatModel m = ScriptedTextEngine.chatModel(new ScriptedTextEngine(scripted))) {
            var recorder = new Terminal();
            m.chatStream(ChatRequest.builder().user("x").responseFormat(ResponseFormat.jsonSchema(UNIQUE_INTEGERS))
                    .build(), recorder);
            assertThat(recorder.error).isInstanceOf(StructuredOutputException.class);
            assertThat(scripted.requests).hasSize(1);
        }
    }
}
