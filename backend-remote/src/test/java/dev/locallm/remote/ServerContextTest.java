package dev.locallm.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.locallm.ChatModel;
import dev.locallm.LocalLm;
import dev.locallm.chat.ChatRequest;
import dev.locallm.error.ContextLengthExceededException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.json.JsonMapper;

/**
 * The context a request gets, read where each family reports it (documented shapes; llama-server's, proven against
 * the real servers, is in {@link LlamaServerBehaviourTest}), and prompts counted with vLLM's own tokenizer.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ServerContextTest {

    private static ScriptedHttpServer listing(String ownedBy, String extra) {
        return new ScriptedHttpServer().script("/v1/models", (ex, body) -> ScriptedHttpServer.json(ex, 200,
                "{\"object\":\"list\",\"data\":[{\"id\":\"m\",\"object\":\"model\",\"owned_by\":\"" + ownedBy + "\""
                        + extra + "}]}"));
    }

    private static ChatModel open(ScriptedHttpServer server) {
        return LocalLm.chatModel("openai:" + server.baseUrl() + "?model=m");
    }

    /** Ollama reports the context only when the Modelfile sets num_ctx; its default is not reported anywhere. */
    @Test
    void ollamasContextIsTheModelfilesNumCtx() {
        try (ScriptedHttpServer server = listing("library", "").script("/api/show", (ex, body) -> {
            assertThat(JsonMapper.shared().readTree(body).path("model").asString()).isEqualTo("m");
            ScriptedHttpServer.json(ex, 200, "{\"parameters\":\"stop \\\"<|im_end|>\\\"\\nnum_ctx 8192\\n\","
                    + "\"model_info\":{\"qwen2.context_length\":32768}}");
        }); ChatModel m = open(server)) {
            assertThat(m.capabilities().backend()).isEqualTo("remote (ollama)");
            assertThat(m.capabilities().contextLength()).as("num_ctx, not the training context").isEqualTo(8192);
        }
        try (ScriptedHttpServer server = listing("library", "").script("/api/show", (ex, body) ->
                ScriptedHttpServer.json(ex, 200, "{\"parameters\":\"stop \\\"<|im_end|>\\\"\","
                        + "\"model_info\":{\"qwen2.context_length\":32768}}")); ChatModel m = open(server)) {
            assertThat(m.capabilities().contextLength()).as("Ollama's default is not reported").isZero();
        }
    }

    @Test
    void lmStudiosContextIsTheLoadedOne() {
        try (ScriptedHttpServer server = listing("organization_owner", "").script("/api/v0/models/m", (ex, body) ->
                ScriptedHttpServer.json(ex, 200, "{\"id\":\"m\",\"state\":\"loaded\",\"max_context_length\":32768,"
                        + "\"loaded_context_length\":4096}")); ChatModel m = open(server)) {
            assertThat(m.capabilities().backend()).isEqualTo("remote (lm-studio)");
            assertThat(m.capabilities().contextLength()).isEqualTo(4096);
        }
    }

    /** vLLM's /tokenize applies the chat template and counts; a prompt that cannot fit is refused before sending. */
    @Test
    void vllmCountsThePromptBeforeItIsSent() {
        try (ScriptedHttpServer server = listing("vllm", ",\"max_model_len\":1024").script("/tokenize", (ex, body) -> {
            assertThat(JsonMapper.shared().readTree(body).path("messages").path(0).path("role").asString())
                    .isEqualTo("user");
            ScriptedHttpServer.json(ex, 200, "{\"count\":990,\"max_model_len\":1024,\"tokens\":[]}");
        }); ChatModel m = open(server)) {
            assertThatThrownBy(() -> m.chat(ChatRequest.builder().user("word ".repeat(150))
                    .options(o -> o.maxTokens(100)).build()))
                    .isInstanceOfSatisfying(ContextLengthExceededException.class, e -> {
                        assertThat(e.promptTokens()).isEqualTo(990);
                        assertThat(e.contextLength()).isEqualTo(1024);
                    });
            assertThat(server.requests("/v1/chat/completions")).isEmpty();
        }
    }
}
