package dev.locallm.remote;

import static org.assertj.core.api.Assertions.assertThat;

import dev.locallm.ChatModel;
import dev.locallm.LocalLm;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import tools.jackson.databind.json.JsonMapper;

/** The dialect is told from what each family's {@code /v1/models} answer says, body and {@code Server} header. */
class DialectDetectionTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"id\":\"m\",\"owned_by\":\"locallm\"}|              |locallm",
        "{\"id\":\"m\",\"owned_by\":\"vllm\",\"max_model_len\":4096}|uvicorn|vllm",
        "{\"id\":\"m\",\"max_model_len\":4096}|                |vllm",
        "{\"id\":\"m\",\"owned_by\":\"llamacpp\"}|llama.cpp    |llama-server",
        "{\"id\":\"m\",\"meta\":{\"n_ctx_train\":2048}}|       |llama-server",
        "{\"id\":\"m\",\"object\":\"model\"}|llama.cpp          |llama-server",
        "{\"id\":\"m\",\"owned_by\":\"library\"}|               |ollama",
        "{\"id\":\"m\",\"owned_by\":\"tabbyAPI\"}|uvicorn       |tabbyapi",
        "{\"id\":\"m\",\"owned_by\":\"organization_owner\"}|    |lm-studio",
        "{\"id\":\"m\",\"owned_by\":\"localai\"}|              |localai",
        "{\"id\":\"m\",\"owned_by\":\"user\"}|uvicorn          |openai",
        "{\"id\":\"m\",\"owned_by\":\"openai\"}|               |openai"})
    void fromTheModelsEntryThenTheServerHeader(String entry, String server, String dialect) {
        assertThat(RemoteServer.detect(JsonMapper.shared().readTree(entry), server == null ? "" : server).uriName())
                .isEqualTo(dialect);
    }

    /** Each fixture family, connected without {@code dialect=} where it can be told, is detected as itself. */
    @ParameterizedTest
    @EnumSource(value = Family.class, names = {"OPENAI", "VLLM", "OLLAMA", "LLAMA_SERVER", "TABBYAPI", "LM_STUDIO"})
    void eachFamilyIsDetectedOverHttp(Family family) {
        try (FamilyServer server = new FamilyServer(family); ChatModel m = LocalLm.chatModel(server.uri(""))) {
            assertThat(m.capabilities().backend()).isEqualTo("remote (" + family.dialect.uriName() + ")");
        }
    }

    /** A llama-server build whose model list says nothing of it is told by its {@code Server} header. */
    @org.junit.jupiter.api.Test
    void anAnonymousModelListFromLlamaServerIsToldByItsHeader() {
        try (ScriptedHttpServer http = new ScriptedHttpServer()) {
            http.script("/v1/models", (ex, body) -> {
                ex.getResponseHeaders().set("Server", "llama.cpp");
                ScriptedHttpServer.json(ex, 200, "{\"object\":\"list\",\"data\":[{\"id\":\"m\",\"object\":\"model\"}]}");
            });
            try (ChatModel m = LocalLm.chatModel("openai:" + http.baseUrl() + "?ctx=512")) {
                assertThat(m.capabilities().backend()).isEqualTo("remote (llama-server)");
            }
        }
    }
}
