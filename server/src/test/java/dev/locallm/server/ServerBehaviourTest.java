package dev.locallm.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.locallm.schema.JsonSchema;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The wire format and the safety defaults, seen over plain HTTP against the real model. */
class ServerBehaviourTest {
    private static final String PERSON = "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"},"
            + "\"age\":{\"type\":\"integer\"}},\"required\":[\"name\",\"age\"],\"additionalProperties\":false}";
    private static final String WEATHER_TOOL = "{\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
            + "\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\",\"maxLength\":12}},"
            + "\"required\":[\"city\"]}}}";
    private static ServingFixture fixture;
    private static RawHttp http;

    @BeforeAll
    static void start() {
        fixture = ServingFixture.start();
        http = new RawHttp(fixture.baseUrl(), ServingFixture.KEY);
    }

    @AfterAll
    static void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    /** The {@code data:} payloads of a streamed response, read with a real SSE-capable client. */
    private static List<String> events(String body) {
        return events(body, "/chat/completions");
    }

    private static List<String> events(String body, String endpoint) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(fixture.baseUrl() + endpoint))
                .header("Content-Type", "application/json").header("Authorization", "Bearer " + ServingFixture.KEY)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        try {
            HttpResponse<java.util.stream.Stream<String>> response = http.client().send(request,
                    HttpResponse.BodyHandlers.ofLines());
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("Content-Type")).get().asString()
                    .startsWith("text/event-stream");
            List<String> lines = response.body().toList();
            List<String> events = new ArrayList<>();
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i);
                if (!line.isEmpty()) {
                    assertThat(line).startsWith("data: ");
                    assertThat(lines.get(i + 1)).as("every event ends with a blank line").isEmpty();
                    events.add(line.substring(6));
                }
            }
            return events;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aStreamIsOneCompletionOfChunksEndingWithUsageAndDone() {
        List<String> events = events(RawHttp.chat("\"stream\":true,\"stream_options\":{\"include_usage\":true},"
                + "\"max_tokens\":16,\"seed\":5"));

        assertThat(events.get(events.size() - 1)).isEqualTo("[DONE]");
        List<JsonNode> chunks = events.subList(0, events.size() - 1).stream().map(JsonMapper.shared()::readTree).toList();
        assertThat(chunks).extracting(c -> c.get("id").asString()).containsOnly(chunks.get(0).get("id").asString());
        assertThat(chunks).extracting(c -> c.get("object").asString()).containsOnly("chat.completion.chunk");
        assertThat(chunks.get(0).at("/choices/0/delta/role").asString()).isEqualTo("assistant");
        JsonNode usage = chunks.get(chunks.size() - 1);
        assertThat(usage.get("choices").isEmpty()).isTrue();
        assertThat(usage.at("/usage/completion_tokens").asInt()).isBetween(1, 16);
        List<JsonNode> finished = chunks.stream().filter(c -> c.at("/choices/0/finish_reason").isString()).toList();
        assertThat(finished).hasSize(1);
        StringBuilder text = new StringBuilder();
        chunks.forEach(c -> text.append(c.at("/choices/0/delta/content").asString("")));
        HttpResponse<String> blocking = http.post("/v1/chat/completions", RawHttp.chat("\"max_tokens\":16,\"seed\":5"));
        assertThat(text.toString()).isEqualTo(RawHttp.json(blocking).at("/choices/0/message/content").asString());
    }

    @Test
    void streamedLegacyCompletionsEchoThePromptAndEndWithUsage() {
        List<String> events = events("{\"model\":\"stories\",\"prompt\":\"Once upon a time\",\"echo\":true,"
                + "\"stream\":true,\"stream_options\":{\"include_usage\":true},\"temperature\":0,\"seed\":3}",
                "/completions");

        assertThat(events).last().isEqualTo("[DONE]");
        List<JsonNode> chunks = events.subList(0, events.size() - 1).stream().map(JsonMapper.shared()::readTree).toList();
        assertThat(chunks).extracting(c -> c.get("object").asString()).containsOnly("text_completion");
        StringBuilder text = new StringBuilder();
        chunks.forEach(c -> text.append(c.at("/choices/0/text").asString("")));
        assertThat(text.toString()).startsWith("Once upon a time, there was");
        assertThat(chunks.get(chunks.size() - 1).at("/usage/completion_tokens").asInt())
                .as("OpenAI's default of 16 tokens").isEqualTo(16);
    }

    @Test
    void streamedToolCallsArriveAsIndexedDeltas() {
        List<String> events = events(RawHttp.chat("\"stream\":true,\"max_tokens\":120,\"seed\":2,\"tools\":["
                + WEATHER_TOOL + "],\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}}"));

        List<JsonNode> deltas = new ArrayList<>();
        String finish = null;
        for (String e : events.subList(0, events.size() - 1)) {
            JsonNode chunk = JsonMapper.shared().readTree(e);
            chunk.at("/choices/0/delta/tool_calls").forEach(deltas::add);
            if (chunk.at("/choices/0/finish_reason").isString()) {
                finish = chunk.at("/choices/0/finish_reason").asString();
            }
        }
        assertThat(finish).isEqualTo("tool_calls");
        assertThat(deltas.get(0).get("index").asInt()).isZero();
        assertThat(deltas.get(0).get("id").asString()).isNotBlank();
        assertThat(deltas.get(0).get("type").asString()).isEqualTo("function");
        assertThat(deltas.get(0).at("/function/name").asString()).isEqualTo("get_weather");
        StringBuilder arguments = new StringBuilder();
        deltas.stream().filter(d -> d.get("index").asInt() == 0)
                .forEach(d -> arguments.append(d.at("/function/arguments").asString("")));
        JsonSchema parameters = JsonSchema.parse(JsonMapper.shared().readTree(WEATHER_TOOL).at("/function/parameters")
                .toString());
        assertThat(parameters.validate(arguments.toString())).as(arguments.toString()).isEmpty();
    }

    @Test
    void jsonCutByMaxTokensIsAnErrorUnlessTheClientAsksToCloseIt() {
        String format = "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"p\",\"schema\":"
                + PERSON + "}},\"max_tokens\":4";
        HttpResponse<String> cut = http.post("/v1/chat/completions", RawHttp.chat(format));
        assertThat(cut.statusCode()).isEqualTo(400);
        assertThat(RawHttp.json(cut).at("/error/code").asString()).isEqualTo("output_truncated");

        List<String> streamed = events(RawHttp.chat(format + ",\"stream\":true"));
        assertThat(streamed).as("a stream reports the cut as OpenAI does").last().isEqualTo("[DONE]");
        assertThat(streamed.stream().filter(e -> e.contains("\"finish_reason\":\"length\""))).hasSize(1);
        assertThat(streamed).noneMatch(e -> e.contains("\"error\""));

        HttpResponse<String> closed = http.post("/v1/chat/completions",
                RawHttp.chat(format + ",\"truncation\":\"close_json\""));
        assertThat(closed.statusCode()).as(closed.body()).isEqualTo(200);
        JsonNode choice = RawHttp.json(closed).at("/choices/0");
        assertThat(choice.get("finish_reason").asString()).isEqualTo("length");
        assertThat(JsonSchema.parse(PERSON).validate(choice.at("/message/content").asString()))
                .isEmpty();
    }

    @Test
    void contentPartsAndDeveloperMessagesAreAccepted() {
        HttpResponse<String> response = http.post("/v1/chat/completions", "{\"model\":\"stories\",\"max_tokens\":4,"
                + "\"messages\":[{\"role\":\"developer\",\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":"
                + "[{\"type\":\"text\",\"text\":\"Once upon\"},{\"type\":\"text\",\"text\":\" a time\"}]}],"
                + "\"user\":\"someone\",\"store\":false}");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode body = RawHttp.json(response);
        assertThat(body.get("object").asString()).isEqualTo("chat.completion");
        assertThat(body.get("created").asLong()).isPositive();
        assertThat(body.at("/choices/0/message/role").asString()).isEqualTo("assistant");
    }

    @Test
    void healthIsOpenAndEverythingElseNeedsTheKey() {
        HttpResponse<String> health = http.send("GET", "/health", Map.of(), null);
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(http.send("GET", "/v1/models", Map.of(), null).statusCode()).isEqualTo(401);
        assertThat(http.send("GET", "/metrics", Map.of(), null).statusCode()).isEqualTo(401);
        double before = chatsAnswered200();
        assertThat(http.post("/v1/chat/completions", RawHttp.chat("\"max_tokens\":2")).statusCode()).isEqualTo(200);
        // the server counts a request once it has answered it, so the count can lag behind the answer
        Eventually.until("the chat request is counted", () -> chatsAnswered200() >= before + 1);
        String metrics = http.get("/metrics").body();
        assertThat(metrics).contains("locallm_requests_total{endpoint=\"/v1/chat/completions\",status=\"200\"}")
                .contains("locallm_tokens_total{kind=\"completion\"}").contains("locallm_queue_depth")
                .contains("locallm_active_generations").contains("locallm_time_to_first_token_seconds_count")
                .contains("locallm_decode_tokens_per_second");
    }

    /** The value of {@code locallm_requests_total} for chat requests answered 200, 0 before the first. */
    private static double chatsAnswered200() {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^locallm_requests_total\\{endpoint="
                + "\"/v1/chat/completions\",status=\"200\"\\} (\\S+)$").matcher(http.get("/metrics").body());
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    @Test
    void corsIsOffByDefaultAndFollowsTheAllowList() {
        Map<String, String> fromBrowser = Map.of("Origin", "http://evil.example", "Content-Type", "application/json",
                "Authorization", "Bearer " + ServingFixture.KEY);
        assertThat(http.send("GET", "/v1/models", fromBrowser, null).headers()
                .firstValue("Access-Control-Allow-Origin")).isEmpty();

        try (LocalLmServer cors = LocalLmServer.builder().chatModel("stories", fixture.chatModel).port(0)
                .corsOrigins(List.of("http://app.example")).build().start()) {
            RawHttp other = new RawHttp(cors.baseUrl(), "");
            HttpResponse<String> allowed = other.send("OPTIONS", "/v1/chat/completions",
                    Map.of("Origin", "http://app.example", "Access-Control-Request-Method", "POST"), null);
            assertThat(allowed.statusCode()).isEqualTo(204);
            assertThat(allowed.headers().firstValue("Access-Control-Allow-Origin")).contains("http://app.example");
            HttpResponse<String> denied = other.send("GET", "/v1/models", Map.of("Origin", "http://evil.example"),
                    null);
            assertThat(denied.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
        }
    }

    @Test
    void healthAnswers503UntilTheModelsAreReady() {
        try (LocalLmServer loading = LocalLmServer.builder().port(0).build().start()) {
            RawHttp client = new RawHttp(loading.baseUrl(), "");
            assertThat(client.send("GET", "/health", Map.of(), null).statusCode()).isEqualTo(503);
            loading.addChatModel("stories", fixture.chatModel);
            loading.markReady();
            assertThat(client.send("GET", "/health", Map.of(), null).statusCode()).isEqualTo(200);
            assertThat(RawHttp.json(client.get("/v1/models")).at("/data/0/id").asString()).isEqualTo("stories");
        }
    }

    @Test
    void embeddingsCanBeBase64() {
        HttpResponse<String> floats = http.post("/v1/embeddings", "{\"model\":\"stories-embed\",\"input\":\"a cat\"}");
        HttpResponse<String> base64 = http.post("/v1/embeddings", "{\"model\":\"stories-embed\",\"input\":\"a cat\","
                + "\"encoding_format\":\"base64\"}");
        JsonNode vector = RawHttp.json(floats).at("/data/0/embedding");
        byte[] bytes = java.util.Base64.getDecoder().decode(RawHttp.json(base64).at("/data/0/embedding").asString());
        java.nio.FloatBuffer decoded = java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .asFloatBuffer();
        assertThat(decoded.remaining()).isEqualTo(vector.size());
        for (int i = 0; i < vector.size(); i++) {
            assertThat(decoded.get(i)).isEqualTo(vector.get(i).floatValue());
        }
        assertThat(RawHttp.json(floats).get("object").asString()).isEqualTo("list");
        assertThat(RawHttp.json(floats).at("/usage/prompt_tokens").asInt()).isPositive();
    }
}
