package dev.locallm.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.locallm.ChatModel;
import dev.locallm.LocalLm;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.ChatResponse;
import dev.locallm.error.ContextLengthExceededException;
import dev.locallm.error.ModelLoadException;
import dev.locallm.error.StructuredOutputException;
import dev.locallm.schema.JsonSchema;
import dev.locallm.tool.ToolChoice;
import dev.locallm.tool.ToolSpec;
import java.net.ServerSocket;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * How the backend copes with what real llama-servers do (each answer below is the one llama-server b4980 or a
 * current build gives; the opt-in {@code RealLlamaServerIT} runs the same against the real servers): refusals it
 * learns once, the context of a slot from {@code /props}, prompts counted with the server's tokenizer, the model
 * by its file name, and a server that is not there.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LlamaServerBehaviourTest {
    private static final ToolSpec WEATHER = ToolSpec.of("get_weather", "Current weather", JsonSchema.parse(
            "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}"));
    private static final String MODELS = "{\"object\":\"list\",\"data\":[{\"id\":"
            + "\"/srv/models/stories260K-chatml.gguf\","
            + "\"object\":\"model\",\"created\":1,\"owned_by\":\"llamacpp\",\"meta\":{\"n_ctx_train\":512}}]}";
    private static final String CALL_ANSWER = "{\"id\":\"c\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,"
            + "\"finish_reason\":\"tool_calls\",\"message\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":"
            + "[{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":"
            + "\"{\\\"city\\\":\\\"Paris\\\"}\"}}]}}],\"usage\":{\"prompt_tokens\":40,\"completion_tokens\":9,"
            + "\"total_tokens\":49}}";

    private static ScriptedHttpServer llamaServer(String props) {
        ScriptedHttpServer server = new ScriptedHttpServer();
        server.script("/v1/models", (ex, body) -> {
            ex.getResponseHeaders().set("Server", "llama.cpp");
            ScriptedHttpServer.json(ex, 200, MODELS);
        });
        if (props != null) {
            server.script("/props", (ex, body) -> ScriptedHttpServer.json(ex, 200, props));
        }
        return server;
    }

    private static ChatModel model(ScriptedHttpServer server, String model) {
        return LocalLm.chatModel("openai:" + server.baseUrl() + "?model=" + model);
    }

    private static JsonNode json(String body) {
        return JsonMapper.shared().readTree(body);
    }

    private static ChatRequest.Builder required() {
        return ChatRequest.builder().user("Weather in Paris?").tools(WEATHER).toolChoice(ToolChoice.REQUIRED);
    }

    /** b4980 answers tools in a stream with 500 "Cannot use tools with stream": learned once, never retried. */
    @Test
    void toolsRefusedInStreamsAreSentWithoutStreamingFromThenOn() {
        try (ScriptedHttpServer server = llamaServer("{\"default_generation_settings\":{\"n_ctx\":1024}}")
                .script("/v1/chat/completions", (ex, body) -> {
                    if (json(body).path("stream").asBoolean(false)) {
                        ScriptedHttpServer.json(ex, 500, "{\"error\":{\"code\":500,\"message\":\"Cannot use tools "
                                + "with stream\",\"type\":\"server_error\"}}");
                    } else {
                        ScriptedHttpServer.json(ex, 200, CALL_ANSWER);
                    }
                }); ChatModel m = model(server, "stories260K-chatml.gguf")) {
            for (int i = 0; i < 2; i++) {
                ChatResponse r = m.chat(required().build());
                assertThat(r.toolCalls()).singleElement().satisfies(c -> {
                    assertThat(c.name()).isEqualTo("get_weather");
                    assertThat(c.arguments()).isEqualTo("{\"city\":\"Paris\"}");
                });
                assertThat(r.usage().promptTokens()).isEqualTo(40);
            }
            assertThat(server.requests("/v1/chat/completions")).extracting(r -> json(r.body()).path("stream")
                    .asBoolean(false)).containsExactly(true, false, false);
        }
    }

    /** Without --jinja a llama-server takes no tools: they go in the prompt, and the forced call in a grammar. */
    @Test
    void aServerWithoutToolsGetsThemInThePromptAndTheCallInAGrammar() {
        try (ScriptedHttpServer server = llamaServer("{\"default_generation_settings\":{\"n_ctx\":1024}}")
                .script("/v1/chat/completions", (ex, body) -> {
                    if (json(body).has("tools")) {
                        ScriptedHttpServer.json(ex, 500, "{\"error\":{\"code\":500,\"message\":\"tools param "
                                + "requires --jinja flag\",\"type\":\"server_error\"}}");
                    } else {
                        ScriptedHttpServer.json(ex, 200, "{\"id\":\"c\",\"object\":\"chat.completion\",\"choices\":"
                                + "[{\"index\":0,\"finish_reason\":\"stop\",\"message\":{\"role\":\"assistant\","
                                + "\"content\":\"<tool_call>{\\\"name\\\": \\\"get_weather\\\", \\\"arguments\\\": "
                                + "{\\\"city\\\": \\\"Oslo\\\"}}</tool_call>\"}}]}");
                    }
                }); ChatModel m = model(server, "stories260K-chatml")) {
            ChatResponse r = m.chat(required().build());
            assertThat(r.toolCalls()).singleElement().satisfies(c -> assertThat(c.arguments())
                    .contains("\"Oslo\""));
            var sent = server.requests("/v1/chat/completions");
            assertThat(sent).hasSize(2);
            JsonNode prompted = json(sent.get(1).body());
            assertThat(prompted.has("tools")).isFalse();
            assertThat(prompted.path("grammar").asString()).contains("<tool_call>").contains("get_weather");
            assertThat(prompted.path("messages").path(0).path("role").asString()).isEqualTo("system");
            assertThat(prompted.path("messages").path(0).path("content").asString()).contains("<tools>");
        }
    }

    /** A current llama-server says in /props when its template cannot call tools; it would ignore them silently. */
    @Test
    void aTemplateThatCannotCallToolsGetsThemInThePromptFromTheStart() {
        try (ScriptedHttpServer server = llamaServer("{\"default_generation_settings\":{\"n_ctx\":1024},"
                + "\"chat_template_caps\":{\"supports_tools\":false,\"supports_tool_calls\":false}}")
                .script("/v1/chat/completions", (ex, body) -> ScriptedHttpServer.json(ex, 200, "{\"id\":\"c\","
                        + "\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"finish_reason\":\"stop\","
                        + "\"message\":{\"role\":\"assistant\",\"content\":\"<tool_call>{\\\"name\\\": "
                        + "\\\"get_weather\\\", \\\"arguments\\\": {\\\"city\\\": \\\"Rome\\\"}}</tool_call>\"}}]}"));
             ChatModel m = model(server, "stories260K-chatml.gguf")) {
            assertThat(m.chat(required().toolChoice(ToolChoice.named("get_weather")).build()).toolCalls())
                    .singleElement().satisfies(c -> assertThat(c.name()).isEqualTo("get_weather"));
            assertThat(server.requests("/v1/chat/completions")).singleElement().satisfies(r -> {
                assertThat(json(r.body()).has("tools")).isFalse();
                assertThat(json(r.body()).path("grammar").asString()).contains("get_weather");
            });
        }
    }

    /** The context is a slot's, from /props; the model's training context (meta.n_ctx_train 512) is not it. */
    @Test
    void theContextIsTheSlotsFromProps() {
        try (ScriptedHttpServer server = llamaServer("{\"default_generation_settings\":{\"n_ctx\":1024}}");
             ChatModel m = model(server, "stories260K-chatml.gguf")) {
            assertThat(m.capabilities().contextLength()).isEqualTo(1024);
            assertThat(m.capabilities().backend()).isEqualTo("remote (llama-server)");
        }
        try (ScriptedHttpServer server = llamaServer(null); ChatModel m = model(server, "stories260K-chatml.gguf")) {
            assertThat(m.capabilities().contextLength()).as("unknown: the server decides").isZero();
        }
    }

    /** A prompt near the limit is counted by the server's own template and tokenizer before it is sent. */
    @Test
    void aPromptThatMayNotFitIsCountedByTheServerAndRefusedBeforeSending() {
        try (ScriptedHttpServer server = llamaServer("{\"default_generation_settings\":{\"n_ctx\":1024}}")
                .script("/apply-template", (ex, body) -> {
                    assertThat(json(body).has("stream")).isFalse();
                    ScriptedHttpServer.json(ex, 200, "{\"prompt\":\"<|im_start|>user\\nlong<|im_end|>\"}");
                })
                .script("/tokenize", (ex, body) -> ScriptedHttpServer.json(ex, 200, "{\"tokens\":["
                        + "1,2,3,".repeat(300) + "4]}"));
             ChatModel m = model(server, "stories260K-chatml.gguf")) {
            assertThatThrownBy(() -> m.chat(ChatRequest.builder().user("word ".repeat(120))
                    .options(o -> o.maxTokens(200)).build()))
                    .isInstanceOfSatisfying(ContextLengthExceededException.class, e -> {
                        assertThat(e.promptTokens()).isEqualTo(901);
                        assertThat(e.contextLength()).isEqualTo(1024);
                    });
            assertThat(server.requests("/v1/chat/completions")).isEmpty();
            assertThat(server.requests("/tokenize")).singleElement().satisfies(r -> assertThat(json(r.body())
                    .path("content").asString()).startsWith("<|im_start|>user"));
        }
    }

    /** llama-server's final chunk says how fast it was; that, not the arrival rate here, is its speed. */
    @Test
    void theServersOwnSpeedIsReported() {
        try (ScriptedHttpServer server = llamaServer("{\"default_generation_settings\":{\"n_ctx\":1024}}")
                .script("/v1/chat/completions", (ex, body) -> ScriptedHttpServer.sse(ex).write((
                        SseEdgeCaseTest.delta("Hello") + "\n\n" + "data: {\"choices\":[{\"finish_reason\":\"stop\","
                        + "\"index\":0,\"delta\":{}}],\"object\":\"chat.completion.chunk\",\"usage\":"
                        + "{\"completion_tokens\":1,\"prompt_tokens\":12,\"total_tokens\":13},\"timings\":"
                        + "{\"prompt_n\":12,\"prompt_ms\":3.1,\"prompt_per_second\":3870.9,\"predicted_n\":1,"
                        + "\"predicted_ms\":2.5,\"predicted_per_second\":400.0}}\n\n" + SseEdgeCaseTest.DONE + "\n\n")
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8)));
             ChatModel m = model(server, "stories260K-chatml.gguf")) {
            ChatResponse r = m.chat(ChatRequest.of("hi"));
            assertThat(r.text()).isEqualTo("Hello");
            assertThat(r.timings().reportedPromptTokensPerSecond()).isEqualTo(3870.9);
            assertThat(r.timings().reportedDecodeTokensPerSecond()).isEqualTo(400.0);
        }
    }

    /** llama-server lists the path it loaded and serves that model whatever the name. */
    @Test
    void aSingleModelServerTakesTheModelByFileNameOrAnyName() {
        try (ScriptedHttpServer server = llamaServer("{\"default_generation_settings\":{\"n_ctx\":1024}}")) {
            for (String name : new String[] {"stories260K-chatml.gguf", "stories260K-chatml", "anything"}) {
                try (ChatModel m = model(server, name)) {
                    assertThat(m.capabilities().modelName()).isEqualTo("/srv/models/stories260K-chatml.gguf");
                }
            }
        }
        try (ScriptedHttpServer other = new ScriptedHttpServer()) {
            assertThatThrownBy(() -> model(other, "anything")).isInstanceOf(ModelLoadException.class)
                    .hasMessageContaining("has no model 'anything'").hasMessageContaining("[m]");
        }
    }

    @Test
    void aServerThatIsNotThereIsReportedAsUnreachable() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        String uri = "openai:http://127.0.0.1:" + port + "/v1?model=m&retries=0";
        assertThatThrownBy(() -> LocalLm.chatModel(uri)).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("is unreachable").hasMessageNotContaining("?model=")
                .hasCauseInstanceOf(RemoteUnreachableException.class);
        assertThatThrownBy(() -> RemoteModels.probe(uri + "&dialect=openai&ctx=512"))
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("is unreachable");
    }

    /** A re-ask that would overflow the context is not sent; the failure that asked for it stays the error. */
    @Test
    void aReAskThatDoesNotFitKeepsTheOriginalFailure() {
        try (ScriptedHttpServer server = new ScriptedHttpServer().script("/v1/chat/completions", (ex, body) -> {
            if (json(body).path("messages").size() > 1) {
                ScriptedHttpServer.json(ex, 400, "{\"error\":{\"code\":400,\"message\":\"the request exceeds the "
                        + "available context size, try increasing it\",\"type\":\"exceed_context_size_error\","
                        + "\"n_prompt_tokens\":600,\"n_ctx\":512}}");
            } else {
                ScriptedHttpServer.json(ex, 200, "{\"id\":\"c\",\"object\":\"chat.completion\",\"choices\":["
                        + "{\"index\":0,"
                        + "\"finish_reason\":\"length\",\"message\":{\"role\":\"assistant\",\"content\":\"Once upon a "
                        + "time\"}}]}");
            }
        }); ChatModel m = LocalLm.chatModel("openai:" + server.baseUrl() + "?model=m&dialect=ollama&retries=0")) {
            assertThatThrownBy(() -> m.chat(required().build()))
                    .isInstanceOfSatisfying(StructuredOutputException.class, e -> {
                        assertThat(e.getMessage()).contains("the reply has none: it is text");
                        assertThat(e.getSuppressed()).singleElement()
                                .isInstanceOf(ContextLengthExceededException.class);
                    });
        }
    }
}
