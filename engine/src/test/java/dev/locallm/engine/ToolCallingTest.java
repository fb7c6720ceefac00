package dev.locallm.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.locallm.ChatModel;
import dev.locallm.ScriptedEngine;
import dev.locallm.chat.ChatChunk;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.ChatResponse;
import dev.locallm.chat.FinishReason;
import dev.locallm.chat.TruncationPolicy;
import dev.locallm.error.InvalidRequestException;
import dev.locallm.error.StructuredOutputException;
import dev.locallm.error.TruncatedOutputException;
import dev.locallm.schema.JsonSchema;
import dev.locallm.stream.ChatStream;
import dev.locallm.tool.ToolCallDelta;
import dev.locallm.tool.ToolChoice;
import dev.locallm.tool.ToolSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Tool calls separated from text by core, over a scripted engine that writes Hermes blocks token by token. */
class ToolCallingTest {
    private static final ToolSpec WEATHER = ToolSpec.of("get_weather", "Weather", JsonSchema.parse(
            "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}"));
    private static final ToolSpec TIME = ToolSpec.of("get_time", "Time", JsonSchema.parse("{\"type\":\"object\"}"));

    /** The text cut into small tokens, so that markers and JSON arrive in pieces. */
    private static ChatModel model(String output) {
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < output.length(); i += 3) {
            tokens.add(output.substring(i, Math.min(output.length(), i + 3)));
        }
        return ScriptedTextEngine.replaying(tokens);
    }

    private static ChatRequest ask(ToolChoice choice) {
        return ChatRequest.builder().user("Weather in Paris and time in Oslo?").tools(WEATHER, TIME).toolChoice(choice)
                .build();
    }

    private static final String TWO_CALLS = "Checking.<tool_call>\n{\"name\": \"get_weather\", \"arguments\": "
            + "{\"city\": \"Paris\"}}\n</tool_call>\n<tool_call>\n{\"name\": \"get_time\", \"arguments\": "
            + "{\"city\": \"Oslo\"}}\n</tool_call>";

    @Test
    void callsAreSeparatedFromTextAndEndTheTurn() {
        try (ChatModel m = model(TWO_CALLS)) {
            ChatResponse r = m.chat(ask(ToolChoice.AUTO));
            assertThat(r.finishReason()).isEqualTo(FinishReason.TOOL_CALLS);
            assertThat(r.text()).isEqualTo("Checking.");
            assertThat(r.toolCalls()).extracting(c -> c.name() + c.arguments())
                    .containsExactly("get_weather{\"city\": \"Paris\"}", "get_time{\"city\": \"Oslo\"}");
        }
    }

    @Test
    void streamedDeltasAddUpToTheCalls() {
        try (ChatModel m = model(TWO_CALLS); ChatStream s = m.chatStream(ask(ToolChoice.AUTO))) {
            List<ChatChunk> chunks = s.stream().toList();
            ChatResponse r = chunks.get(chunks.size() - 1).response().orElseThrow();
            List<ToolCallDelta> deltas = chunks.stream().flatMap(c -> c.toolCallDeltas().stream()).toList();
            for (int i = 0; i < r.toolCalls().size(); i++) {
                int index = i;
                List<ToolCallDelta> mine = deltas.stream().filter(d -> d.index() == index).toList();
                assertThat(mine.get(0).id()).isEqualTo(r.toolCalls().get(i).id());
                assertThat(mine.get(0).name()).isEqualTo(r.toolCalls().get(i).name());
                assertThat(mine.stream().map(ToolCallDelta::arguments).collect(Collectors.joining()))
                        .isEqualTo(r.toolCalls().get(i).arguments());
                assertThat(mine.size()).as("arguments arrive in several pieces").isGreaterThan(2);
            }
            assertThat(chunks.stream().map(ChatChunk::text).collect(Collectors.joining())).isEqualTo("Checking.");
        }
    }

    @Test
    void textWithoutCallsPassesThroughIncludingMarkerLookalikes() {
        try (ChatModel m = model("Use <tool to call <b>tools</b>.")) {
            ChatResponse r = m.chat(ask(ToolChoice.AUTO));
            assertThat(r.text()).isEqualTo("Use <tool to call <b>tools</b>.");
            assertThat(r.finishReason()).isEqualTo(FinishReason.STOP);
        }
    }

    /**
     * Lookalikes of the marker, and a real one right after a {@code <}, streamed in tokens of every size: the
     * text before the call comes out exactly once and the call is found.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(ints = {1, 2, 3, 4, 5, 7, 11})
    void markerLookalikesAndSplitMarkersStreamExactly(int size) {
        String before = "a <tool_ca <tool_call b <<";
        String output = before + "tool_call>\n{\"name\": \"get_time\", \"arguments\": {}}\n</tool_call>";
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < output.length(); i += size) {
            tokens.add(output.substring(i, Math.min(output.length(), i + size)));
        }
        try (ChatModel m = ScriptedTextEngine.replaying(tokens);
                ChatStream s = m.chatStream(ask(ToolChoice.AUTO))) {
            List<ChatChunk> chunks = s.stream().toList();
            ChatResponse r = chunks.get(chunks.size() - 1).response().orElseThrow();
            assertThat(chunks.stream().map(ChatChunk::text).collect(Collectors.joining()))
                    .isEqualTo(before.substring(0, before.length() - 1));
            assertThat(r.toolCalls()).extracting(c -> c.name()).containsExactly("get_time");
        }
    }

    @Test
    void forcedChoicesSendAGrammarAndRequireACall() {
        var engine = new ScriptedTextEngine(new ScriptedEngine(List.of("I will not call anything."), false));
        try (ChatModel m = ScriptedTextEngine.chatModel(engine)) {
            assertThatThrownBy(() -> m.chat(ask(ToolChoice.REQUIRED))).isInstanceOf(StructuredOutputException.class)
                    .hasMessageContaining("the reply has none");
            assertThat(engine.grammars.get(0)).isPresent();
            assertThat(engine.grammars.get(0).get().start()
                    .matchesCompletely("<tool_call>\n{\"name\": \"get_time\", \"arguments\": {}}\n</tool_call>")).isTrue();
            m.chat(ask(ToolChoice.AUTO));
            assertThat(engine.grammars.get(1)).isEmpty();
        }
    }

    @Test
    void aRequiredCallCutByTheTokenLimitIsATruncationNotText() {
        try (ChatModel m = model(TWO_CALLS.substring("Checking.".length()))) {
            ChatRequest cut = ask(ToolChoice.REQUIRED).toBuilder().options(o -> o.maxTokens(6)).build();
            assertThatThrownBy(() -> m.chat(cut)).isInstanceOfSatisfying(TruncatedOutputException.class,
                    e -> assertThat(e.rawText()).startsWith("<tool_call>"));
            ChatResponse closed = m.chat(cut.toBuilder().truncationPolicy(TruncationPolicy.CLOSE_JSON).build());
            assertThat(closed.toolCalls()).hasSize(1);
            assertThat(closed.toolCalls().get(0).name()).isIn("get_weather", "get_time");
        }
    }

    @Test
    void argumentsAreValidatedAgainstTheToolSchema() {
        try (ChatModel m = model("<tool_call>{\"name\": \"get_weather\", \"arguments\": {\"town\": 3}}</tool_call>")) {
            assertThatThrownBy(() -> m.chat(ask(ToolChoice.AUTO)))
                    .isInstanceOfSatisfying(StructuredOutputException.class, e ->
                            assertThat(e.errors()).anyMatch(x -> x.contains("get_weather")));
        }
    }

    @Test
    void requestsAreCheckedForToolConsistency() {
        assertThatThrownBy(() -> ChatRequest.builder().user("x").toolChoice(ToolChoice.REQUIRED).build())
                .isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> ChatRequest.builder().user("x").tools(WEATHER).toolChoice(ToolChoice.named("nope"))
                .build()).isInstanceOf(InvalidRequestException.class).hasMessageContaining("nope");
        assertThatThrownBy(() -> ChatRequest.builder().user("x").tools(WEATHER, WEATHER).build())
                .isInstanceOf(InvalidRequestException.class);
    }
}
