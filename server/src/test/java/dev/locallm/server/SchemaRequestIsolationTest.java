package dev.locallm.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.locallm.ChatModel;
import dev.locallm.chat.ChatRequest;
import dev.locallm.stream.ChatStream;
import java.net.http.HttpResponse;
import java.util.StringJoiner;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/**
 * A request with a costly schema costs its own thread, never the others': a request held before generation (as a
 * schema compiling is) does not hold up other requests, and a schema over the grammar's limits is a 400 with an
 * OpenAI error body, refused within its request.
 */
@Timeout(120)
class SchemaRequestIsolationTest {
    private static final CountDownLatch HELD = new CountDownLatch(1);
    private static final CountDownLatch RELEASE = new CountDownLatch(1);
    private static ServingFixture fixture;
    private static RawHttp http;

    @BeforeAll
    static void start() {
        fixture = ServingFixture.start(LocalLmServer.builder().apiKey(ServingFixture.KEY), HoldingSlowSchemas::new);
        http = new RawHttp(fixture.baseUrl(), ServingFixture.KEY);
    }

    @AfterAll
    static void stop() {
        RELEASE.countDown();
        if (fixture != null) {
            fixture.close();
        }
    }

    @Test
    void aRequestHeldBeforeGenerationDoesNotHoldUpOtherRequests() throws Exception {
        String slow = "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"s\",\"schema\":"
                + "{\"title\":\"slow\",\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"}}}}},"
                + "\"max_tokens\":40";
        CompletableFuture<HttpResponse<String>> held = CompletableFuture.supplyAsync(
                () -> http.post("/v1/chat/completions", RawHttp.chat(slow)));
        assertThat(HELD.await(60, TimeUnit.SECONDS)).as("the slow request reached the model").isTrue();
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> other = http.post("/v1/chat/completions", RawHttp.chat("\"max_tokens\":4,\"seed\":"
                    + i));
            assertThat(other.statusCode()).as(other.body()).isEqualTo(200);
            assertThat(RawHttp.json(other).at("/usage/completion_tokens").asInt()).isPositive();
        }
        assertThat(held).as("still held while the others were answered").isNotDone();
        RELEASE.countDown();
        HttpResponse<String> done = held.get(60, TimeUnit.SECONDS);
        assertThat(done.statusCode()).as(done.body()).isEqualTo(200);
    }

    @Test
    void aSchemaOverTheGrammarLimitIsRefusedWithABadRequest() {
        StringJoiner arrays = new StringJoiner(",");
        for (int i = 0; i < 12; i++) {
            arrays.add("\"a" + i + "\":{\"type\":\"array\",\"items\":{\"type\":\"integer\",\"minimum\":" + i + "},"
                    + "\"maxItems\":10000}");
        }
        String format = "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"big\",\"schema\":"
                + "{\"type\":\"object\",\"properties\":{" + arrays + "}}}}";
        HttpResponse<String> refused = http.post("/v1/chat/completions", RawHttp.chat(format));
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(400);
        JsonNode error = RawHttp.json(refused).get("error");
        assertThat(error.get("type").asString()).isEqualTo("invalid_request_error");
        assertThat(error.get("param").asString()).isEqualTo("response_format");
        assertThat(error.get("message").asString()).contains("more than 100000 rules");
    }

    /** The served model: a request whose schema is titled "slow" waits until the test lets it go. */
    private static final class HoldingSlowSchemas extends ForwardingChatModel {
        HoldingSlowSchemas(ChatModel model) {
            super(model);
        }

        /** Where the server starts every chat: a held request waits here, as one whose schema compiles does. */
        @Override
        public ChatStream chatStream(ChatRequest request) {
            if (request.responseFormat().schema().map(s -> s.toJson().contains("\"slow\"")).orElse(false)) {
                HELD.countDown();
                try {
                    if (!RELEASE.await(60, TimeUnit.SECONDS)) {
                        throw new IllegalStateException("never released");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }
            return model.chatStream(request);
        }
    }
}
