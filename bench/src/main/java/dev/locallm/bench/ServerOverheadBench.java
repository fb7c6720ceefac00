package dev.locallm.bench;

import dev.locallm.ChatModel;
import dev.locallm.LocalLm;
import dev.locallm.chat.ChatChunk;
import dev.locallm.chat.ChatRequest;
import dev.locallm.llamacpp.LlamaCppOptions;
import dev.locallm.llamacpp.gguf.GgmlType;
import dev.locallm.server.LocalLmServer;
import dev.locallm.stream.ChatStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * What serving over HTTP costs: one model with 4 slots, streamed to one client in-process
 * ({@code ChatModel.chatStream}) and through {@link LocalLmServer} (SSE read by the JDK's HTTP client), in
 * alternation; then 4 concurrent clients each way. Both sides time tokens where the caller receives them.
 *
 * <p>Usage: {@code bench/run.sh ServerOverheadBench [threads] [rounds] [all|stories,q4]}.
 */
public final class ServerOverheadBench {
    private static final int SLOTS = 4;

    private ServerOverheadBench() {
    }

    /** A stream as the caller saw it: tokens generated and the decode rate between its first and last text. */
    private record Received(int tokens, double tokensPerSecond, long firstNanos, long lastNanos) { }

    public static void main(String[] args) throws Exception {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 9;
        String models = args.length > 2 ? args[2] : "all";
        System.out.printf("Server overhead, %d thread(s), %d slots, %d alternating rounds, medians; cores=%d%n",
                threads, SLOTS, rounds, Runtime.getRuntime().availableProcessors());
        System.out.println("| model | generated | in-process tok/s | server tok/s | ratio | 4 clients in-process "
                + "tok/s | 4 clients server tok/s | ratio |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|");
        if (models.equals("all") || models.contains("stories")) {
            measure("stories260K (F32)", BenchModels.stories(), 200, 256, threads, rounds);
        }
        if (models.equals("all") || models.contains("q4")) {
            measure("SmolLM2-135M shape, Q4_0", BenchModels.smolLm2Shape(GgmlType.Q4_0), 64, 1024, threads, rounds);
        }
        System.exit(0);
    }

    private static void measure(String label, Path file, int generate, int context, int threads, int rounds)
            throws Exception {
        try (ChatModel model = LocalLm.builder().model(file.toString())
                .backendOptions(LlamaCppOptions.builder().threads(threads).contextSize(context).parallel(SLOTS)
                        .chatTemplate("{{ messages[0].content }}").build()).buildChatModel();
             LocalLmServer server = LocalLmServer.builder().chatModel("m", model).port(0).build().start()) {
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            String prompt = "Once upon a time, in a small village, there lived";
            inProcess(model, prompt, generate, 0);
            overHttp(http, server, prompt, generate, 0);
            double[] local = new double[rounds];
            double[] remote = new double[rounds];
            int tokens = 0;
            for (int i = 0; i < rounds; i++) {
                Received l = i % 2 == 0 ? inProcess(model, prompt, generate, 1) : null;
                Received r = overHttp(http, server, prompt, generate, 1);
                if (l == null) {
                    l = inProcess(model, prompt, generate, 1);
                }
                local[i] = l.tokensPerSecond();
                remote[i] = r.tokensPerSecond();
                tokens = r.tokens();
            }
            double localConcurrent = concurrent(() -> inProcess(model, prompt, generate, 2));
            double remoteConcurrent = concurrent(() -> overHttp(http, server, prompt, generate, 2));
            double lt = DecodeRun.median(local);
            double rt = DecodeRun.median(remote);
            System.out.printf("| %s | %d | %.1f | %.1f | %.3f | %.1f | %.1f | %.3f |%n", label, tokens, lt, rt, rt / lt,
                    localConcurrent, remoteConcurrent, remoteConcurrent / localConcurrent);
        }
    }

    /** Total tokens per second of 4 clients at once, from the first client's first token to the last one's last. */
    private static double concurrent(Callable<Received> client) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(SLOTS);
        try {
            List<Future<Received>> runs = new ArrayList<>();
            for (int i = 0; i < SLOTS; i++) {
                runs.add(pool.submit(client));
            }
            int tokens = 0;
            long first = Long.MAX_VALUE;
            long last = 0;
            for (Future<Received> f : runs) {
                Received r = f.get();
                tokens += r.tokens();
                first = Math.min(first, r.firstNanos());
                last = Math.max(last, r.lastNanos());
            }
            return tokens * 1e9 / (last - first);
        } finally {
            pool.shutdown();
        }
    }

    private static Received inProcess(ChatModel model, String prompt, int generate, long seed) {
        ChatRequest request = ChatRequest.builder().user(prompt)
                .options(o -> o.temperature(0).seed(seed).maxTokens(generate)).build();
        long first = 0;
        long last = 0;
        int tokens = 0;
        try (ChatStream stream = model.chatStream(request)) {
            for (ChatChunk chunk : stream) {
                if (!chunk.text().isEmpty()) {
                    last = System.nanoTime();
                    first = first == 0 ? last : first;
                }
                if (chunk.isLast()) {
                    tokens = chunk.response().orElseThrow().usage().completionTokens();
                }
            }
        }
        return new Received(tokens, (tokens - 1) * 1e9 / (last - first), first, last);
    }

    private static Received overHttp(HttpClient http, LocalLmServer server, String prompt, int generate, long seed)
            throws Exception {
        String body = "{\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true},\"temperature\":0,"
                + "\"seed\":" + seed + ",\"max_tokens\":" + generate + ",\"messages\":[{\"role\":\"user\",\"content\":"
                + JsonMapper.shared().writeValueAsString(prompt) + "}]}";
        HttpResponse<java.util.stream.Stream<String>> response = http.send(HttpRequest.newBuilder(
                URI.create(server.baseUrl() + "/chat/completions")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofLines());
        long first = 0;
        long last = 0;
        int tokens = 0;
        Iterator<String> lines = response.body().iterator();
        while (lines.hasNext()) {
            String line = lines.next();
            if (!line.startsWith("data: {")) {
                continue;
            }
            JsonNode chunk = JsonMapper.shared().readTree(line.substring(6));
            if (!chunk.at("/choices/0/delta/content").asString("").isEmpty()) {
                last = System.nanoTime();
                first = first == 0 ? last : first;
            }
            if (chunk.has("usage") && chunk.get("usage").isObject()) {
                tokens = chunk.at("/usage/completion_tokens").asInt();
            }
        }
        return new Received(tokens, (tokens - 1) * 1e9 / (last - first), first, last);
    }
}
