package dev.locallm.batch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.locallm.ChatModel;
import dev.locallm.LocalLm;
import dev.locallm.chat.ChatRequest;
import dev.locallm.server.LocalLmServer;
import dev.locallm.testkit.TestModels;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A batch spread over three of LocaLLM's own servers on loopback ports (a pool named by one {@code openai:} URI),
 * one of which is stopped mid-run without draining, and started again on its port afterwards.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BatchOverServersTest {
    @TempDir
    Path dir;

    private static LocalLmServer serve(ChatModel model, int port) {
        return LocalLmServer.builder().chatModel("stories", model).port(port).drainTimeout(Duration.ZERO).build()
                .start();
    }

    /** Chat completions a server answered with 200, from its {@code /metrics}. */
    private static long answered(LocalLmServer server) throws Exception {
        String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(server.baseUrl()
                .replaceFirst("/v1$", "") + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        Matcher m = Pattern.compile("(?m)^locallm_requests_total\\{[^}]*endpoint=\"/v1/chat/completions\","
                + "status=\"200\"[^}]*} ([0-9.]+)").matcher(metrics);
        return m.find() ? (long) Double.parseDouble(m.group(1)) : 0;
    }

    @Test
    void aServerThatDiesMidRunCostsNoRequestAndIsUsedAgainOnceItAnswers() throws Exception {
        String file = TestModels.require(TestModels.STORIES_CHATML).toString();
        try (ChatModel model = LocalLm.chatModel("gguf:" + file + "?threads=1&ctx=1024&parallel=6")) {
            LocalLmServer a = serve(model, 0);
            LocalLmServer b = serve(model, 0);
            LocalLmServer[] c = {serve(model, 0)};
            int portC = c[0].port();
            try (ChatModel pool = LocalLm.chatModel("openai:" + a.baseUrl() + "," + b.baseUrl() + ","
                    + c[0].baseUrl() + "?model=stories&parallel=2")) {
                int requests = 60;
                Path input = Files.write(dir.resolve("in.jsonl"), IntStream.range(0, requests).mapToObj(i ->
                        "{\"custom_id\":\"s" + i + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":"
                        + "{\"model\":\"stories\",\"max_tokens\":48,\"messages\":[{\"role\":\"user\",\"content\":"
                        + "\"Story " + i + "\"}]}}").toList());
                Path output = dir.resolve("out.jsonl");
                AtomicLong answeredByC = new AtomicLong(-1);
                BatchSummary summary = BatchJob.builder().chatModel(pool).input(input).output(output)
                        .listener(new BatchListener() {
                            @Override
                            public synchronized void progressed(BatchProgress progress) {
                                if (progress.succeeded() >= 10 && answeredByC.get() < 0) {
                                    try {
                                        answeredByC.set(answered(c[0]));
                                    } catch (Exception e) {
                                        throw new IllegalStateException(e);
                                    }
                                    c[0].close();
                                }
                            }
                        }).build().run();

                assertThat(pool.capabilities().parallelRequests()).isEqualTo(6);
                assertThat(answeredByC.get()).as("requests the third server answered before it died").isPositive();
                List<JsonNode> results = new ArrayList<>();
                for (String line : Files.readAllLines(output, StandardCharsets.UTF_8)) {
                    results.add(JsonMapper.shared().readTree(line));
                }
                assertThat(results).hasSize(requests);
                assertThat(results.stream().map(r -> r.get("custom_id").asString()).distinct()).hasSize(requests);
                assertThat(results).allSatisfy(r -> assertThat(r.at("/response/status_code").asInt()).isEqualTo(200));
                assertThat(summary.progress().failed()).isZero();

                c[0] = serve(model, portC);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (answered(c[0]) == 0 && System.nanoTime() < deadline) {
                    pool.chat(ChatRequest.builder().user("Again").options(o -> o.maxTokens(4)).build());
                }
                assertThat(answered(c[0])).as("requests the third server answered once it was back").isPositive();
            } finally {
                a.close();
                b.close();
                c[0].close();
            }
        }
    }
}
