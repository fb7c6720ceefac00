package dev.locallm.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * 16 streaming clients against 2 slots and a queue of 4, for {@code locallm.load.seconds} (8 in the build; the
 * full 60-second run is in bench/README.md). Every accepted stream must be complete, every rejection a 503 with
 * {@code Retry-After}, and the heap after GC must not keep growing over the run.
 *
 * <p>The heap check compares the live heap (after full collections, with the server idle) after a warm-up, after
 * the first half of the run and after the second. One-off growth (pools and caches reaching their size, code
 * paths seen for the first time) comes mostly in the first half and stays well below a megabyte; a leak grows
 * with every request, so it shows in both halves. In 50 runs on 2 cores with the other one kept busy, the live
 * heap grew by 110 to 680 KiB in the first half and by 6 to 70 KiB in the second, so the test fails only when
 * both halves grow by more than {@link #LEAK_BYTES}: a leak of about 2.5 KB per request at the roughly 400
 * requests per half seen there (a slower machine serves fewer, which makes the check less sensitive, never
 * flaky). Growth of 16 MB or more over the whole run fails too.
 */
class ServerLoadTest {
    private static final int CLIENTS = 16;
    /** Growth of the live heap in each half of the run that, in both halves, means a leak. */
    private static final long LEAK_BYTES = 1024 * 1024;

    @Test
    void sixteenStreamingClientsAgainstTwoSlots() throws Exception {
        long seconds = Long.getLong("locallm.load.seconds", 8);
        try (ServingFixture f = ServingFixture.start(LocalLmServer.builder().apiKey(ServingFixture.KEY)
                .queueSize(4))) {
            RawHttp http = new RawHttp(f.baseUrl(), ServingFixture.KEY);
            run(f, http, 2);
            long start = liveHeapWhenIdle(http);
            Result first = run(f, http, (seconds + 1) / 2);
            long middle = liveHeapWhenIdle(http);
            Result second = run(f, http, seconds / 2);
            long end = liveHeapWhenIdle(http);

            int completed = first.completed.get() + second.completed.get();
            int rejected = first.rejected.get() + second.rejected.get();
            System.out.printf("load: %d s, %d complete streams, %d rejected, live heap %d -> %d -> %d KiB%n",
                    seconds, completed, rejected, start / 1024, middle / 1024, end / 1024);
            assertThat(first.failures).isEmpty();
            assertThat(second.failures).isEmpty();
            assertThat(completed).isPositive();
            assertThat(rejected).as("16 clients exceed 2 slots + 4 queued").isPositive();
            assertThat(List.of(middle - start, end - middle))
                    .as("live heap growth in each half of the run (%d and %d requests): not both over %d bytes",
                            first.completed.get() + first.rejected.get(),
                            second.completed.get() + second.rejected.get(), LEAK_BYTES)
                    .anyMatch(growth -> growth < LEAK_BYTES);
            assertThat(end - start).as("live heap growth over the whole run").isLessThan(16L * LEAK_BYTES);
            String metrics = http.get("/metrics").body();
            assertThat(metrics).contains("locallm_active_generations 0.0").contains("locallm_queue_depth 0.0");
        }
    }

    private record Result(AtomicInteger completed, AtomicInteger rejected, ConcurrentLinkedQueue<String> failures) { }

    private static Result run(ServingFixture f, RawHttp http, long seconds) throws Exception {
        Result result = new Result(new AtomicInteger(), new AtomicInteger(), new ConcurrentLinkedQueue<>());
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
        List<Future<?>> clients = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            int client = c;
            clients.add(pool.submit(() -> {
                int i = 0;
                while (System.nanoTime() < end && result.failures.isEmpty()) {
                    stream(f, http, "\"stream\":true,\"stream_options\":{\"include_usage\":true},\"max_tokens\":"
                            + (16 + (client * 7 + i++) % 48), result);
                }
                return null;
            }));
        }
        try {
            for (Future<?> c : clients) {
                c.get(seconds + Eventually.LIMIT.toSeconds(), TimeUnit.SECONDS); // only a hang gets near the limit
            }
        } finally {
            pool.shutdownNow();
        }
        return result;
    }

    private static void stream(ServingFixture f, RawHttp http, String extra, Result result) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(f.baseUrl() + "/chat/completions"))
                .header("Content-Type", "application/json").header("Authorization", "Bearer " + ServingFixture.KEY)
                .timeout(Duration.ofSeconds(120)) // only a hang gets near this limit
                .POST(HttpRequest.BodyPublishers.ofString(RawHttp.chat(extra))).build();
        HttpResponse<java.util.stream.Stream<String>> response = http.client().send(request,
                HttpResponse.BodyHandlers.ofLines());
        List<String> lines = response.body().toList();
        if (response.statusCode() == 503) {
            String retry = response.headers().firstValue("Retry-After").orElse(null);
            JsonNode error = JsonMapper.shared().readTree(String.join("\n", lines)).get("error");
            if (retry == null || error == null || !"overloaded".equals(error.get("code").asString())) {
                result.failures.add("bad rejection: " + lines);
            }
            result.rejected.incrementAndGet();
            Thread.sleep(Long.parseLong(retry == null ? "1" : retry) * 100); // a tenth of it: keeps the queue full
            return;
        }
        List<String> events = lines.stream().filter(l -> l.startsWith("data: ")).map(l -> l.substring(6)).toList();
        if (response.statusCode() != 200 || events.isEmpty() || !events.get(events.size() - 1).equals("[DONE]")) {
            result.failures.add("incomplete stream " + response.statusCode() + ": " + lines);
            return;
        }
        List<JsonNode> chunks = events.subList(0, events.size() - 1).stream().map(JsonMapper.shared()::readTree).toList();
        long ids = chunks.stream().map(c -> c.get("id").asString()).distinct().count();
        long finishes = chunks.stream().filter(c -> c.at("/choices/0/finish_reason").isString()).count();
        boolean usage = chunks.get(chunks.size() - 1).at("/usage/completion_tokens").asInt() > 0;
        if (ids != 1 || finishes != 1 || !usage) {
            result.failures.add("stream with " + ids + " ids, " + finishes + " finish reasons, usage " + usage);
            return;
        }
        result.completed.incrementAndGet();
    }

    /**
     * The live heap once the server has finished every request (it updates its gauges after the client has its
     * answer): the least heap in use just after each of three full collections.
     */
    private static long liveHeapWhenIdle(RawHttp http) throws InterruptedException {
        Eventually.until("the server is idle", () -> {
            String metrics = http.get("/metrics").body();
            return metrics.contains("locallm_active_generations 0.0") && metrics.contains("locallm_queue_depth 0.0");
        });
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
            used = Math.min(used, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return used;
    }
}
