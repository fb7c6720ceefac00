package dev.locallm.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.locallm.ChatModel;
import dev.locallm.LocalLm;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.ChatResponse;
import dev.locallm.chat.FinishReason;
import dev.locallm.error.StructuredOutputException;
import dev.locallm.schema.JsonSchema;
import dev.locallm.tool.ToolChoice;
import dev.locallm.tool.ToolSpec;
import org.junit.jupiter.api.Test;

/**
 * What LocaLLM guarantees on top of servers that cannot: schemas a server ignores and tool choices it ignores
 * are checked and re-asked with the errors; calls a server leaves in its text are recovered.
 */
class RepairTest {
    record Point(int x, int y) { }

    private static final ToolSpec WEATHER = ToolSpec.of("get_weather", "Weather", JsonSchema.parse(
            "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}"));

    @Test
    void aSchemaTheServerIgnoresIsReAskedWithTheErrorsUntilValid() {
        try (FamilyServer server = new FamilyServer(Family.LOCALAI); ChatModel m = LocalLm.chatModel(server.uri(""))) {
            assertThat(m.capabilities().structuredOutput()).isFalse();

            Point p = m.chat(ChatRequest.of("Where is it?"), Point.class);

            assertThat(p).isEqualTo(new Point(0, 0));
            var requests = server.http.requests("/v1/chat/completions");
            assertThat(requests).hasSize(2);
            assertThat(requests.get(1).body()).contains("Sure! Here is the product").contains("not valid JSON");
        }
    }

    @Test
    void withoutRepairsTheInvalidReplyIsATypedErrorWithTheRawText() {
        try (FamilyServer server = new FamilyServer(Family.LOCALAI);
             ChatModel m = LocalLm.chatModel(server.uri("repairs=0"))) {
            assertThatThrownBy(() -> m.chat(ChatRequest.of("Where is it?"), Point.class))
                    .isInstanceOfSatisfying(StructuredOutputException.class,
                            e -> assertThat(e.rawText()).startsWith("Sure!"));
            assertThat(server.http.requests("/v1/chat/completions")).hasSize(1);
        }
    }

    @Test
    void aRequiredToolChoiceTheServerIgnoresIsReAskedUntilItCalls() {
        try (FamilyServer server = new FamilyServer(Family.OLLAMA); ChatModel m = LocalLm.chatModel(server.uri(""))) {
            ChatResponse r = m.chat(ChatRequest.builder().user("Weather in Paris, please.").tools(WEATHER)
                    .toolChoice(ToolChoice.REQUIRED).build());

            assertThat(r.finishReason()).isEqualTo(FinishReason.TOOL_CALLS);
            assertThat(r.toolCalls()).singleElement().satisfies(c -> assertThat(c.name()).isEqualTo("get_weather"));
            var requests = server.http.requests("/v1/chat/completions");
            assertThat(requests).hasSize(2);
            assertThat(requests.get(1).body()).contains("not a valid tool call").contains("Call one of the tools");
        }
        try (FamilyServer server = new FamilyServer(Family.OLLAMA);
             ChatModel m = LocalLm.chatModel(server.uri("repairs=0"))) {
            assertThatThrownBy(() -> m.chat(ChatRequest.builder().user("Weather in Paris, please.").tools(WEATHER)
                    .toolChoice(ToolChoice.REQUIRED).build())).isInstanceOf(StructuredOutputException.class)
                    .hasMessageContaining("the reply has none");
        }
    }

    @Test
    void callsTheServerLeftInItsTextAreRecovered() {
        try (FamilyServer server = new FamilyServer(Family.VLLM); ChatModel m = LocalLm.chatModel(server.uri(""))) {
            ChatResponse r = m.chat(ChatRequest.builder().user("What is the weather in Paris?").tools(WEATHER)
                    .toolChoice(ToolChoice.AUTO).build());

            assertThat(server.http.requests("/v1/chat/completions").get(0).body()).contains("\"tool_choice\":\"auto\"");
            assertThat(r.finishReason()).isEqualTo(FinishReason.TOOL_CALLS);
            assertThat(r.toolCalls()).singleElement().satisfies(c -> {
                assertThat(c.name()).isEqualTo("get_weather");
                assertThat(c.arguments()).isEqualTo("{\"city\": \"\"}");
            });
            assertThat(r.text()).isEmpty();
        }
    }

    @Test
    void aServerThatIgnoresToolChoiceIsOfferedOnlyTheNamedToolAndNoToolsUnderNone() {
        ToolSpec time = ToolSpec.of("get_time", "Time", JsonSchema.parse("{\"type\":\"object\"}"));
        try (FamilyServer server = new FamilyServer(Family.OLLAMA); ChatModel m = LocalLm.chatModel(server.uri(""))) {
            m.chat(ChatRequest.builder().user("Time?").tools(WEATHER, time).toolChoice(ToolChoice.named("get_time"))
                    .build());
            m.chat(ChatRequest.builder().user("Time?").tools(WEATHER, time).toolChoice(ToolChoice.NONE).build());
            var requests = server.http.requests("/v1/chat/completions");
            assertThat(requests.get(0).body()).contains("get_time").doesNotContain("get_weather");
            assertThat(requests.get(1).body()).doesNotContain("\"tools\"");
        }
    }
}
