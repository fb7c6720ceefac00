package dev.locallm.remote;

import static org.assertj.core.api.Assertions.assertThat;

import dev.locallm.ChatModel;
import dev.locallm.LocalLm;
import dev.locallm.chat.ChatChunk;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.ChatResponse;
import dev.locallm.chat.FinishReason;
import dev.locallm.schema.JsonSchema;
import dev.locallm.stream.ChatStream;
import dev.locallm.tool.ToolCallDelta;
import dev.locallm.tool.ToolChoice;
import dev.locallm.tool.ToolSpec;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.json.JsonMapper;

/**
 * Calls a server left in the reply's text, as vLLM without a tool parser sends them for each model family, are
 * recovered as real calls, streamed as deltas, and satisfy a required tool choice without a re-ask; replies that
 * only look like calls stay text.
 */
class InTextToolCallsTest {
    private static final ToolSpec WEATHER = ToolSpec.of("get_weather", "Weather", JsonSchema.parse(
            "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}"));

    /** A server that streams {@code text} as content deltas of {@code size} characters. */
    private static ScriptedHttpServer server(String text, int size) {
        ScriptedHttpServer http = new ScriptedHttpServer();
        http.script("/v1/chat/completions", (ex, body) -> {
            List<byte[]> pieces = new ArrayList<>();
            for (int i = 0; i < text.length(); i += size) {
                String piece = text.substring(i, Math.min(text.length(), i + size));
                pieces.add(("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":"
                        + JsonMapper.shared().writeValueAsString(piece) + "},\"finish_reason\":null}]}\n\n")
                        .getBytes(StandardCharsets.UTF_8));
            }
            pieces.add(("data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
                    + "data: [DONE]\n\n").getBytes(StandardCharsets.UTF_8));
            try (OutputStream out = ScriptedHttpServer.sse(ex)) {
                ScriptedHttpServer.write(out, pieces);
            }
        });
        return http;
    }

    static Stream<Arguments> callsInText() {
        String args = "{\"city\": \"Paris\"}";
        return Stream.of(
                Arguments.of("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": " + args + "}\n</tool_call>", 3),
                Arguments.of("[TOOL_CALLS][{\"name\": \"get_weather\", \"arguments\": " + args + "}]", 1),
                Arguments.of("[TOOL_CALLS][{\"name\": \"get_weather\", \"arguments\": " + args + "}]", 4),
                Arguments.of("{\"name\": \"get_weather\", \"parameters\": " + args + "}", 1),
                Arguments.of("{\"name\": \"get_weather\", \"parameters\": " + args + "}", 5),
                Arguments.of("<|python_tag|>{\"name\": \"get_weather\", \"parameters\": " + args + "}", 2),
                Arguments.of("  [{\"name\": \"get_weather\", \"arguments\": " + args + "}]", 3),
                Arguments.of("```json\n{\"name\": \"get_weather\", \"arguments\": " + args + "}\n```", 6));
    }

    @ParameterizedTest(name = "[{index}] in pieces of {1}")
    @MethodSource("callsInText")
    void callsLeftInTheTextInAnyFormatAreRecoveredAndStreamed(String text, int size) {
        try (ScriptedHttpServer http = server(text, size);
             ChatModel m = LocalLm.chatModel("openai:" + http.baseUrl() + "?model=m&dialect=ollama");
             ChatStream stream = m.chatStream(ChatRequest.builder().user("Weather in Paris?").tools(WEATHER)
                     .toolChoice(ToolChoice.REQUIRED).build())) {
            List<ChatChunk> chunks = stream.stream().toList();
            ChatResponse r = chunks.get(chunks.size() - 1).response().orElseThrow();

            assertThat(r.finishReason()).isEqualTo(FinishReason.TOOL_CALLS);
            assertThat(r.toolCalls()).singleElement().satisfies(c -> {
                assertThat(c.name()).isEqualTo("get_weather");
                assertThat(JsonMapper.shared().readTree(c.arguments()).path("city").asString()).isEqualTo("Paris");
            });
            List<ToolCallDelta> deltas = chunks.stream().flatMap(c -> c.toolCallDeltas().stream()).toList();
            assertThat(deltas.get(0).name()).isEqualTo("get_weather");
            assertThat(deltas.stream().map(ToolCallDelta::arguments).collect(Collectors.joining()))
                    .isEqualTo(r.toolCalls().get(0).arguments());
            assertThat(chunks.stream().map(ChatChunk::text).collect(Collectors.joining())).isBlank();
            assertThat(http.requests("/v1/chat/completions")).as("no re-ask").hasSize(1);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"city\": \"Paris\", \"name\": \"get_weather\"}",
        "[1] See the forecast.",
        "{\"name\": \"Paris\", \"country\": \"France\"}",
        "It is sunny. [TOOL_CALL] maybe",
        "<tool call> is how you write it"})
    void repliesThatOnlyLookLikeCallsStayText(String text) {
        try (ScriptedHttpServer http = server(text, 2);
             ChatModel m = LocalLm.chatModel("openai:" + http.baseUrl() + "?model=m&dialect=ollama");
             ChatStream stream = m.chatStream(ChatRequest.builder().user("Weather in Paris?").tools(WEATHER)
                     .toolChoice(ToolChoice.AUTO).build())) {
            List<ChatChunk> chunks = stream.stream().toList();
            ChatResponse r = chunks.get(chunks.size() - 1).response().orElseThrow();

            assertThat(r.toolCalls()).isEmpty();
            assertThat(r.finishReason()).isEqualTo(FinishReason.STOP);
            assertThat(r.text()).isEqualTo(text);
            assertThat(chunks.stream().map(ChatChunk::text).collect(Collectors.joining())).isEqualTo(text);
        }
    }
}
