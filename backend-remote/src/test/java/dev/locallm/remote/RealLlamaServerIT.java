package dev.locallm.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.locallm.ChatModel;
import dev.locallm.LocalLm;
import dev.locallm.chat.ChatRequest;
import dev.locallm.error.ContextLengthExceededException;
import dev.locallm.testkit.ChatModelContract;
import dev.locallm.testkit.StructuredOutputContract;
import dev.locallm.testkit.TestModels;
import dev.locallm.testkit.ToolCallingContract;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The contract suites over real llama-servers (opt-in: {@code ./mvnw -P real-llama-server verify -pl backend-remote
 * -am -Dlocallm.llamaServers=b4980=...,current=...}; see {@code backend-remote/README.md}): each configured binary,
 * started with {@code --jinja} and without, serves {@code stories260K-chatml.gguf}, and the same suites every
 * backend passes run over it, tools and schemas included, plus what the simulators cannot show: the dialect
 * detected from the real answers, the slot's context read from {@code /props}, and the model named by its file.
 */
@ParameterizedClass(name = "{0}")
@MethodSource("binaries")
class RealLlamaServerIT {
    /** The server of the current invocation; invocations run one after another. */
    private static RealLlamaServer server;

    @Parameter
    RealLlamaServer.Binary binary;

    static List<RealLlamaServer.Binary> binaries() {
        return RealLlamaServer.configured();
    }

    @BeforeParameterizedClassInvocation
    static void start(RealLlamaServer.Binary binary) throws Exception {
        server = RealLlamaServer.start(binary, TestModels.require(TestModels.STORIES_CHATML));
    }

    @AfterParameterizedClassInvocation
    static void stop() throws Exception {
        if (server != null) {
            server.close();
            server = null;
        }
    }

    ChatModel open() {
        return LocalLm.chatModel("openai:" + server.baseUrl() + "?model=" + TestModels.STORIES_CHATML);
    }

    @Test
    void theServerIsRecognisedAndItsSlotContextRead() throws Exception {
        JsonNode props = JsonMapper.shared().readTree(HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(server.baseUrl().replace("/v1", "/props"))).build(), HttpResponse.BodyHandlers.ofString())
                .body());
        int slot = props.path("default_generation_settings").path("n_ctx").asInt();
        try (ChatModel m = open()) {
            assertThat(m.capabilities().backend()).isEqualTo("remote (llama-server)");
            assertThat(m.capabilities().contextLength()).as("a slot's context, 8,192 / 2").isEqualTo(slot)
                    .isEqualTo(4096);
            assertThat(m.capabilities().modelName()).endsWith(TestModels.STORIES_CHATML);
        }
    }

    /** b4980 cuts a prompt that does not fit and says so only in its log: it must be refused before that. */
    @Test
    void aPromptThatDoesNotFitIsRefusedNotCutShort() throws Exception {
        try (ChatModel m = open()) {
            assertThatThrownBy(() -> m.chat(ChatRequest.builder().user("Once upon a time a dog ran. ".repeat(700))
                    .options(o -> o.maxTokens(16)).build()))
                    .isInstanceOfSatisfying(ContextLengthExceededException.class,
                            e -> assertThat(e.promptTokens()).isGreaterThan(e.contextLength()));
        }
        assertThat(server.log()).doesNotContain("input truncated");
    }

    @Nested
    class Chat extends ChatModelContract {
        @Override
        protected ChatModel openModel() {
            return open();
        }
    }

    @Nested
    class Tools extends ToolCallingContract {
        @Override
        protected ChatModel openModel() {
            return open();
        }
    }

    @Nested
    class Structured extends StructuredOutputContract {
        @Override
        protected ChatModel openModel() {
            return open();
        }
    }
}
