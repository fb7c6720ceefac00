package dev.locallm.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.locallm.ChatModel;
import dev.locallm.EmbeddingModel;
import dev.locallm.LocalLm;
import dev.locallm.chat.ChatRequest;
import dev.locallm.stream.ChatStream;
import dev.locallm.testkit.TestModels;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Batch files through the real stories260K model (ChatML template, two slots). */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BatchJobTest {
    private static ChatModel chat;
    private static EmbeddingModel embeddings;

    @TempDir
    Path dir;

    @BeforeAll
    static void load() {
        String model = TestModels.require(TestModels.STORIES_CHATML).toString();
        chat = LocalLm.chatModel("gguf:" + model + "?threads=1&ctx=1024&parallel=2");
        embeddings = LocalLm.embeddingModel("gguf:" + model + "?threads=1");
    }

    @AfterAll
    static void close() {
        chat.close();
        embeddings.close();
    }

    private static String chatLine(String id, String text, int maxTokens) {
        return "{\"custom_id\":\"" + id + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":"
                + "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"" + text + "\"}],"
                + "\"max_tokens\":" + maxTokens + ",\"temperature\":0}}";
    }

    private Path input(List<String> lines) throws IOException {
        return Files.write(dir.resolve("requests.jsonl"), lines, StandardCharsets.UTF_8);
    }

    private static List<JsonNode> results(Path output) throws IOException {
        List<JsonNode> lines = new ArrayList<>();
        for (String line : Files.readAllLines(output, StandardCharsets.UTF_8)) {
            lines.add(JsonMapper.shared().readTree(line));
        }
        return lines;
    }

    private static Map<String, JsonNode> byId(List<JsonNode> results) {
        return results.stream().filter(r -> r.get("custom_id").isString())
                .collect(Collectors.toMap(r -> r.get("custom_id").asString(), Function.identity()));
    }

    @Test
    void answersEachRequestOnceAsTheServerWouldAndTurnsBadLinesIntoErrorLines() throws IOException {
        Path input = input(List.of(
                chatLine("c1", "Once upon a time", 8),
                chatLine("c2", "Tell me about a cat", 12),
                chatLine("c3", "Lily went to the park", 8),
                chatLine("c4", "Lily went to the park", 8),
                "{\"custom_id\":\"t1\",\"method\":\"POST\",\"url\":\"/v1/completions\",\"body\":"
                        + "{\"model\":\"stories\",\"prompt\":\"Once upon a time\",\"max_tokens\":6}}",
                "{\"custom_id\":\"e1\",\"method\":\"POST\",\"url\":\"/v1/embeddings\",\"body\":"
                        + "{\"model\":\"stories-embed\",\"input\":[\"a cat\",\"a dog\"]}}",
                "",
                "{not json",
                "{\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{}}",
                "{\"custom_id\":\"x1\",\"method\":\"POST\",\"url\":\"/v1/files\",\"body\":{}}",
                chatLine("big", "Once upon a time", 100_000),
                "{\"custom_id\":\"nomsg\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":"
                        + "{\"model\":\"stories\"}}",
                chatLine("c2", "a second line with the id c2", 8)));
        Path output = dir.resolve("out/results.jsonl");
        List<String> reported = new ArrayList<>();

        BatchSummary summary = BatchJob.builder().chatModel(chat).embeddingModel(embeddings).input(input)
                .output(output).listener(new BatchListener() {
                    @Override
                    public void duplicate(String customId, long line) {
                        reported.add(customId + "@" + line);
                    }
                }).build().run();

        List<JsonNode> results = results(output);
        Map<String, JsonNode> byId = byId(results);
        assertThat(byId.keySet()).containsExactlyInAnyOrder("c1", "c2", "c3", "c4", "t1", "e1", "x1", "big", "nomsg");
        assertThat(results).hasSize(11);
        assertThat(results).allSatisfy(r -> assertThat(r.get("id").asString()).startsWith("batch_req_"));

        for (String id : List.of("c1", "c2", "c3", "c4")) {
            JsonNode response = byId.get(id).get("response");
            assertThat(response.get("status_code").asInt()).as(id).isEqualTo(200);
            assertThat(byId.get(id).get("error").isNull()).isTrue();
            JsonNode body = response.get("body");
            assertThat(body.get("object").asString()).isEqualTo("chat.completion");
            assertThat(body.get("model").asString()).isEqualTo("stories");
            assertThat(body.at("/choices/0/message/content").asString()).isNotEmpty();
            assertThat(body.at("/usage/completion_tokens").asInt()).isBetween(1, id.equals("c2") ? 12 : 8);
        }
        assertThat(byId.get("c2").at("/response/body/choices/0/message/content").asString())
                .as("the first line with id c2 is the one answered").isNotEqualTo(byId.get("c1")
                        .at("/response/body/choices/0/message/content").asString());
        assertThat(byId.get("c3").at("/response/body/choices/0/message/content").asString())
                .as("greedy decoding of the same request")
                .isEqualTo(byId.get("c4").at("/response/body/choices/0/message/content").asString());

        JsonNode completion = byId.get("t1").at("/response/body");
        assertThat(completion.get("object").asString()).isEqualTo("text_completion");
        assertThat(completion.at("/usage/completion_tokens").asInt()).isBetween(1, 6);

        JsonNode embedded = byId.get("e1").at("/response/body");
        assertThat(embedded.get("data")).hasSize(2);
        assertThat(embedded.at("/data/1/embedding")).hasSize(embeddings.dimension());

        assertThat(byId.get("big").at("/response/status_code").asInt()).isEqualTo(400);
        assertThat(byId.get("big").at("/response/body/error/code").asString()).isEqualTo("context_length_exceeded");
        assertThat(byId.get("nomsg").at("/response/status_code").asInt()).isEqualTo(400);
        assertThat(byId.get("nomsg").at("/response/body/error/param").asString()).isEqualTo("messages");
        assertThat(byId.get("x1").get("response").isNull()).isTrue();
        assertThat(byId.get("x1").at("/error/message").asString()).contains("'url' must be one of");

        List<JsonNode> withoutId = results.stream().filter(r -> r.get("custom_id").isNull()).toList();
        assertThat(withoutId).extracting(r -> r.at("/error/line").asLong()).containsExactlyInAnyOrder(8L, 9L);
        assertThat(withoutId).extracting(r -> r.at("/error/message").asString())
                .anySatisfy(m -> assertThat(m).startsWith("Line 8: the line is not JSON"))
                .anySatisfy(m -> assertThat(m).contains("'custom_id' must be a non-empty string"));

        BatchProgress p = summary.progress();
        assertThat(summary.complete()).isTrue();
        assertThat(summary.duplicateIds()).containsExactly("c2");
        assertThat(reported).containsExactly("c2@13");
        assertThat(p.total()).as("non-blank lines").isEqualTo(12);
        assertThat(p.succeeded()).isEqualTo(6);
        assertThat(p.failed()).isEqualTo(5);
        assertThat(p.duplicates()).isEqualTo(1);
        assertThat(p.remaining()).isZero();
        assertThat(p.completionTokens()).isEqualTo(results.stream()
                .filter(r -> r.at("/response/status_code").asInt() == 200)
                .mapToLong(r -> r.at("/response/body/usage/completion_tokens").asLong()).sum());

        BatchSummary again = BatchJob.builder().chatModel(chat).embeddingModel(embeddings).input(input)
                .output(output).build().run();
        assertThat(results(output)).as("nothing twice").hasSize(11);
        assertThat(again.progress().skipped()).isEqualTo(11);
        assertThat(again.progress().succeeded() + again.progress().failed()).isZero();
    }

    @Test
    void aRunStoppedPartWayAndTornMidLineIsCompletedByTheNextWithEachIdOnce() throws IOException {
        List<String> lines = IntStream.range(0, 12).mapToObj(i -> chatLine("r" + i, "Story number " + i, 24))
                .toList();
        Path input = input(lines);
        Path output = dir.resolve("results.jsonl");
        BatchJob[] running = new BatchJob[1];
        running[0] = BatchJob.builder().chatModel(chat).input(input).output(output).listener(new BatchListener() {
            @Override
            public void progressed(BatchProgress progress) {
                if (progress.succeeded() == 3) {
                    running[0].cancel();
                }
            }
        }).build();

        BatchSummary first = running[0].run();

        assertThat(first.cancelled()).isTrue();
        assertThat(first.complete()).isFalse();
        List<JsonNode> partial = results(output);
        assertThat(partial.size()).isBetween(3, 4);
        assertThat(partial).allSatisfy(r -> assertThat(r.at("/response/status_code").asInt()).isEqualTo(200));
        Files.writeString(output, "{\"id\":\"batch_req_torn\",\"custom_id\":\"r11\",\"respo",
                StandardOpenOption.APPEND);

        BatchSummary second = BatchJob.builder().chatModel(chat).input(input).output(output).build().run();

        List<JsonNode> all = results(output);
        assertThat(all).hasSize(12);
        assertThat(byId(all).keySet()).hasSize(12);
        assertThat(all).allSatisfy(r -> assertThat(r.at("/response/status_code").asInt()).isEqualTo(200));
        assertThat(second.complete()).isTrue();
        assertThat(second.progress().skipped()).isEqualTo(partial.size());
        assertThat(second.progress().succeeded()).isEqualTo(12 - partial.size());
    }

    @Test
    void concurrencyFillsTheModelsSlotsAndNoMore() throws IOException {
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        ChatModel counted = (ChatModel) Proxy.newProxyInstance(ChatModel.class.getClassLoader(),
                new Class<?>[] {ChatModel.class}, (proxy, method, args) -> {
                    Object result = invoke(method, chat, args);
                    if (method.getName().equals("chatStream") && args.length == 1 && args[0] instanceof ChatRequest) {
                        most.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
                        ChatStream stream = (ChatStream) result;
                        AtomicBoolean closed = new AtomicBoolean();
                        return Proxy.newProxyInstance(ChatStream.class.getClassLoader(),
                                new Class<?>[] {ChatStream.class}, (p, m, a) -> {
                                    if (m.getName().equals("close") && closed.compareAndSet(false, true)) {
                                        inFlight.decrementAndGet();
                                    }
                                    return invoke(m, stream, a);
                                });
                    }
                    return result;
                });
        Path input = input(IntStream.range(0, 8).mapToObj(i -> chatLine("q" + i, "Tale " + i, 16)).toList());

        BatchSummary summary = BatchJob.builder().chatModel(counted).input(input).output(dir.resolve("out.jsonl"))
                .build().run();

        assertThat(summary.progress().succeeded()).isEqualTo(8);
        assertThat(chat.capabilities().parallelRequests()).isEqualTo(2);
        assertThat(most.get()).as("requests in flight at once").isBetween(1, 2);
        assertThat(inFlight.get()).isZero();
    }

    private static Object invoke(java.lang.reflect.Method method, Object target, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    @Test
    void anOutputThatIsNotAResultsFileIsRefusedAndLeftAsItWas() throws IOException {
        Path input = input(List.of(chatLine("a", "Hello", 4)));
        String notes = "{\"custom_id\":\"a\",\"response\":null,\"error\":{\"code\":\"x\"}}\nmy notes\n{}";
        Path output = Files.writeString(dir.resolve("notes.jsonl"), notes);
        Path oneLine = Files.writeString(dir.resolve("one.json"), "{\"custom_id\":\"a\",\"url\":\"/v1/chat\"}");

        assertThatThrownBy(() -> BatchJob.builder().chatModel(chat).input(input).output(output).build().run())
                .isInstanceOf(BatchException.class)
                .hasMessageContaining("is not a results file (line 2 is not a result line");
        assertThatThrownBy(() -> BatchJob.builder().chatModel(chat).input(input).output(oneLine).build().run())
                .isInstanceOf(BatchException.class).hasMessageContaining("(line 1 is not a result line");
        assertThat(Files.readString(output)).isEqualTo(notes);
        assertThat(Files.readString(oneLine)).isEqualTo("{\"custom_id\":\"a\",\"url\":\"/v1/chat\"}");
        assertThatThrownBy(() -> BatchJob.builder().chatModel(chat).input(input).output(input).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("must not be the input");
    }

    @Test
    void anOutputAnotherJobWritesIsRefused() throws Exception {
        Path input = input(IntStream.range(0, 4).mapToObj(i -> chatLine("w" + i, "Tale " + i, 48)).toList());
        Path output = dir.resolve("shared.jsonl");
        java.util.concurrent.CountDownLatch writing = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch checked = new java.util.concurrent.CountDownLatch(1);
        BatchJob first = BatchJob.builder().chatModel(chat).input(input).output(output).concurrency(1)
                .listener(new BatchListener() {
                    @Override
                    public void progressed(BatchProgress progress) {
                        writing.countDown();
                        try {
                            checked.await(30, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                }).build();
        var running = java.util.concurrent.CompletableFuture.supplyAsync(first::run);
        assertThat(writing.await(30, TimeUnit.SECONDS)).isTrue();

        assertThatThrownBy(() -> BatchJob.builder().chatModel(chat).input(input).output(output).build().run())
                .isInstanceOf(BatchException.class).hasMessageContaining("Another batch job is writing to");
        checked.countDown();

        assertThat(running.get(60, TimeUnit.SECONDS).progress().succeeded()).isEqualTo(4);
        assertThat(results(output)).hasSize(4);
    }

    @Test
    void aModelThatStopsAnsweringStopsTheJobWithoutWritingWhatItCouldNotAnswer() throws IOException {
        ChatModel closed = LocalLm.chatModel("gguf:" + TestModels.require(TestModels.STORIES_CHATML)
                + "?threads=1&ctx=512&parallel=1");
        closed.close();
        Path input = input(List.of(chatLine("z1", "Hello", 4), chatLine("z2", "Hello again", 4)));
        Path output = dir.resolve("stopped.jsonl");

        assertThatThrownBy(() -> BatchJob.builder().chatModel(closed).concurrency(1).input(input).output(output)
                .build().run())
                .isInstanceOf(BatchException.class).hasMessageContaining("The batch stopped at request 'z1' (line 1)")
                .hasMessageContaining("run the job again to complete it");
        assertThat(Files.readString(output)).as("nothing written for a request the model could not answer")
                .isEmpty();

        BatchSummary again = BatchJob.builder().chatModel(chat).input(input).output(output).build().run();
        assertThat(again.progress().succeeded()).isEqualTo(2);
    }
}
