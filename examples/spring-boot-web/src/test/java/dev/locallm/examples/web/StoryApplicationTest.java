package dev.locallm.examples.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.locallm.testkit.TestModels;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The application over real HTTP on the shared stories260K model: each endpoint answers as it says. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StoryApplicationTest {
    private final HttpClient http = HttpClient.newHttpClient();

    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void model(DynamicPropertyRegistry registry) {
        registry.add("locallm.chat-model.uri", () -> "gguf:" + TestModels.require(TestModels.STORIES_CHATML));
        registry.add("locallm.chat-model.options.threads", () -> "1");
        registry.add("locallm.chat-model.defaults.max-tokens", () -> "24");
    }

    private HttpResponse<String> post(String path, String json) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode get(String path) throws Exception {
        return JsonMapper.shared().readTree(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                + path)).build(), HttpResponse.BodyHandlers.ofString()).body());
    }

    @Test
    void aReplyWithItsUsage() throws Exception {
        HttpResponse<String> response = post("/api/story", "{\"prompt\":\"Tell me a story\"}");

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode reply = JsonMapper.shared().readTree(response.body());
        assertThat(reply.get("text").asString()).isNotBlank();
        assertThat(reply.get("finishReason").asString()).isIn("STOP", "LENGTH");
        assertThat(reply.get("promptTokens").asInt()).isPositive();
        assertThat(reply.get("completionTokens").asInt()).isBetween(1, 24);
    }

    @Test
    void aStreamOfServerSentEventsEndingWithDone() throws Exception {
        HttpResponse<String> response = post("/api/story/stream", "{\"prompt\":\"Tell me a story\"}");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("text/event-stream"));
        List<String> lines = response.body().lines().filter(l -> !l.isEmpty()).toList();
        StringBuilder text = new StringBuilder();
        for (String line : lines.subList(0, lines.size() - 2)) {
            assertThat(line).startsWith("data:");
            text.append(JsonMapper.shared().readTree(line.substring("data:".length())).get("text").asString());
        }
        assertThat(text.toString()).isNotBlank().contains(" ");
        assertThat(lines.subList(lines.size() - 2, lines.size())).satisfiesExactly(
                event -> assertThat(event).isEqualTo("event:done"),
                finish -> assertThat(finish).isIn("data:STOP", "data:LENGTH"));
    }

    @Test
    void aRecordFromTheModelAndAProblemForABadRequest() throws Exception {
        HttpResponse<String> weather = post("/api/weather", "{\"prompt\":\"The weather in Paris?\"}");
        assertThat(weather.statusCode()).as(weather.body()).isEqualTo(200);
        JsonNode record = JsonMapper.shared().readTree(weather.body());
        assertThat(record.get("city").isString()).isTrue();
        assertThat(record.get("temperature").isInt()).isTrue();

        HttpResponse<String> bad = post("/api/story", "{\"prompt\":\"" + "word ".repeat(5000) + "\"}");
        assertThat(bad.statusCode()).isEqualTo(400);
        JsonNode problem = JsonMapper.shared().readTree(bad.body());
        assertThat(problem.get("status").asInt()).isEqualTo(400);
        assertThat(problem.get("detail").asString()).contains("context");
    }

    @Test
    void actuatorShowsTheModelAndCountsItsRequests() throws Exception {
        post("/api/story", "{\"prompt\":\"Hello\"}");

        JsonNode health = get("/actuator/health");
        assertThat(health.at("/status").asString()).isEqualTo("UP");
        assertThat(health.at("/components/locallm/details/localLmChatModel/slots").asInt()).isEqualTo(2);
        JsonNode requests = get("/actuator/metrics/locallm.requests");
        assertThat(requests.at("/measurements/0/value").asDouble()).isGreaterThanOrEqualTo(1.0);
    }
}
