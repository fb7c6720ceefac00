package dev.locallm.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.locallm.ChatModel;
import dev.locallm.EmbeddingModel;
import dev.locallm.LocalLm;
import dev.locallm.testkit.TestModels;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Mutated requests against a server configured as {@code locallm serve} configures it (stories260K, its own
 * 512-token context, 2 slots): every answer is a 2xx with a well-formed body or stream, or a 4xx with an OpenAI
 * error body; never a 5xx, a dropped connection or a hang. A few hundred requests run in the build; the long run
 * takes {@code -Dlocallm.fuzz.requests=20000}; {@code -Dlocallm.fuzz.seed} changes the requests and
 * {@code -Dlocallm.fuzz.only=N} replays request N alone.
 */
class HttpApiFuzzTest {
    private static final Logger LOG = LoggerFactory.getLogger(HttpApiFuzzTest.class);
    private static final Duration PER_REQUEST = Duration.ofSeconds(90);
    private static ChatModel chatModel;
    private static EmbeddingModel embeddingModel;
    private static LocalLmServer server;

    @BeforeAll
    static void start() {
        Path model = TestModels.require(TestModels.STORIES_CHATML);
        chatModel = LocalLm.chatModel("gguf:" + model + "?threads=1&parallel=2");
        embeddingModel = LocalLm.embeddingModel("gguf:" + model + "?threads=1");
        server = LocalLmServer.builder().apiKey(ServingFixture.KEY).chatModel(ServingFixture.CHAT, chatModel)
                .embeddingModel(ServingFixture.EMBED, embeddingModel).host("127.0.0.1").port(0).build().start();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (chatModel != null) {
            chatModel.close();
        }
        if (embeddingModel != null) {
            embeddingModel.close();
        }
    }

    @Test
    void mutatedRequestsGetAWellFormedAnswerOrAnOpenAiError() {
        long seed = Long.getLong("locallm.fuzz.seed", 20261201L);
        int count = Integer.getInteger("locallm.fuzz.requests", 300);
        int only = Integer.getInteger("locallm.fuzz.only", -1);
        MutatedRequests requests = new MutatedRequests(seed, ServingFixture.CHAT, ServingFixture.EMBED,
                ServingFixture.KEY);
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        String root = server.baseUrl().substring(0, server.baseUrl().length() - "/v1".length());
        Map<Integer, Integer> statuses = new TreeMap<>();
        List<String> failures = new ArrayList<>();
        long start = System.nanoTime();
        for (int i = only >= 0 ? only : 0; i < (only >= 0 ? only + 1 : count); i++) {
            MutatedRequests.Mutated request = requests.get(i);
            String problem = problem(client, root, request, statuses);
            if (problem != null) {
                failures.add(request + "\n    -> " + problem);
            }
        }
        LOG.info("{} mutated requests (seed {}) in {} s; statuses {}; {} failures", only >= 0 ? 1 : count, seed,
                (System.nanoTime() - start) / 1_000_000_000, statuses, failures.size());
        assertThat(failures).as("requests without a well-formed answer").isEmpty();
        HttpResponse<String> valid = new RawHttp(server.baseUrl(), ServingFixture.KEY).post("/v1/chat/completions",
                RawHttp.chat("\"max_tokens\":2"));
        assertThat(valid.statusCode()).as("still serving: " + valid.body()).isEqualTo(200);
    }

    /** What is wrong with the answer to {@code request}, or {@code null}. */
    private static String problem(HttpClient client, String root, MutatedRequests.Mutated request,
            Map<Integer, Integer> statuses) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(root + request.path())).timeout(PER_REQUEST)
                .method(request.method(), request.body() == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(request.body()));
        request.headers().forEach(b::header);
        HttpResponse<InputStream> response;
        byte[] body;
        try {
            response = client.sendAsync(b.build(), HttpResponse.BodyHandlers.ofInputStream())
                    .get(PER_REQUEST.toSeconds(), TimeUnit.SECONDS);
            try (InputStream in = response.body()) {
                if (request.readBytes() >= 0) {
                    in.readNBytes(request.readBytes());
                    statuses.merge(response.statusCode(), 1, Integer::sum);
                    return response.statusCode() >= 500 ? "status " + response.statusCode() : null;
                }
                body = in.readAllBytes();
            }
        } catch (TimeoutException e) {
            return "no answer within " + PER_REQUEST.toSeconds() + " s";
        } catch (ExecutionException | IOException e) {
            return "connection failed: " + (e.getCause() != null ? e.getCause() : e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
        int status = response.statusCode();
        statuses.merge(status, 1, Integer::sum);
        String text = new String(body, StandardCharsets.UTF_8);
        String cut = text.substring(0, Math.min(text.length(), 500));
        if (status >= 500) {
            return "status " + status + ": " + cut;
        }
        if (request.method().equals("HEAD") || status == 204) {
            return null;
        }
        String type = response.headers().firstValue("Content-Type").orElse("");
        try {
            if (status >= 400) {
                return type.startsWith("application/json") ? errorBodyProblem(JsonMapper.shared().readTree(body))
                        : "status " + status + " with Content-Type '" + type + "': " + cut;
            }
            if (type.startsWith("text/event-stream")) {
                return streamProblem(text);
            }
            JsonMapper.shared().readTree(body);
            return type.startsWith("application/json") || type.startsWith("text/plain") ? null
                    : "Content-Type '" + type + "'";
        } catch (JacksonException e) {
            return "status " + status + " with a body that is not JSON: " + cut;
        }
    }

    private static String errorBodyProblem(JsonNode body) {
        JsonNode error = body.get("error");
        if (error == null || !error.isObject()) {
            return "no error object: " + body;
        }
        if (!error.path("message").isString() || error.get("message").asString().isBlank()
                || !error.path("type").isString() || !error.has("param") || !error.has("code")) {
            return "not an OpenAI error body: " + body;
        }
        return null;
    }

    private static String streamProblem(String text) {
        List<String> data = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.startsWith("data: ")) {
                data.add(line.substring(6));
            } else if (!line.isEmpty() && !line.startsWith(":")) {
                return "a stream line that is not an event: " + line;
            }
        }
        if (data.isEmpty() || !data.get(data.size() - 1).equals("[DONE]")) {
            return "a stream that does not end with [DONE]: " + text.substring(Math.max(0, text.length() - 300));
        }
        for (String event : data.subList(0, data.size() - 1)) {
            JsonNode chunk = JsonMapper.shared().readTree(event);
            if (chunk.has("error")) {
                String problem = errorBodyProblem(chunk);
                if (problem != null) {
                    return problem;
                }
                if (chunk.at("/error/type").asString().equals("server_error")) {
                    return "a server error in the stream: " + event;
                }
            }
        }
        return null;
    }
}
