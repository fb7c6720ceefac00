package dev.locallm.bench;

import dev.locallm.llamacpp.gguf.GgmlType;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * LocaLLM on the llama.cpp library it builds itself, beside the stock library bundled in {@code de.kherud:llama}
 * and beside llama.cpp's own {@code llama-server} built from the same sources. Each LocaLLM configuration runs in
 * a child JVM of its own ({@link NativeBuildProbe}), since a JVM loads one native library: "stock" without
 * {@code -Dlocallm.llamacpp.library.path}, "ours" with it. The harness starts {@code llama-server} on a free port of
 * 127.0.0.1 and stops it at the end; its figures are read from the {@code timings} of its {@code /completion}
 * replies ({@code cache_prompt: false}, {@code ignore_eos: true}).
 *
 * <ol>
 *   <li>Single stream: a 512-token prompt (BOS included), 128 greedy tokens, the given threads for decoding and
 *       prompts; decode tokens/s after the first token and time to first token (for llama-server, its
 *       {@code prompt_ms}: prompt processing and the first token's sampling, no HTTP), on the SmolLM2-135M shape
 *       in Q8_0 and Q4_0 and the TinyLlama-1.1B shape in Q4_0.
 *   <li>Concurrency: the SmolLM2-135M shape in Q4_0 with 4 slots, 1 decode thread, the given threads for prompts;
 *       1 client, then 4 clients at once with short prompts of their own, 128 greedy tokens each; all generated
 *       tokens over the wall time of the burst.
 * </ol>
 * The three run side by side, loaded at once; their order changes every round (all six orders in turn), and the
 * tables give medians.
 *
 * <p>Usage: {@code bench/run.sh NativeBuildBench [rounds] [threads] [all|single|concurrent] [all|q8,q4,tiny]}.
 * The library directory comes from {@code LOCALLM_NATIVE_LIBRARY} (default {@code /tmp/nb/lib-cpu}), the server
 * from {@code LLAMA_SERVER} (default {@code /tmp/ls/script-test/build-b4980/bin/llama-server}).
 */
public final class NativeBuildBench {
    private static final int PROMPT_TOKENS = 512;
    private static final int GENERATE = 128;
    private static final int SLOTS = 4;
    private static final String[] NAMES = {"stock", "ours", "llama-server"};
    private static final int[][] ORDERS = {{0, 1, 2}, {2, 1, 0}, {1, 2, 0}, {0, 2, 1}, {2, 0, 1}, {1, 0, 2}};
    private static final JsonMapper JSON = JsonMapper.shared();

    private NativeBuildBench() {
    }

    /** What can be measured: a LocaLLM child or llama-server. */
    private interface Target extends AutoCloseable {
        /** {decode tok/s, TTFT ms, generated, prompt tokens} of one generation. */
        double[] single(Path promptFile, String prompt, int tokens) throws Exception;

        /** {total tok/s, generated, wall ms} of {@code clients} concurrent requests. */
        double[] burst(int clients, int tokens) throws Exception;

        @Override
        void close();
    }

    /** The prompt of concurrent client {@code client}: short, and different for each. */
    static String shortPrompt(int client) {
        return "Once upon a time, story number " + client + " began in a small village";
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        String parts = args.length > 2 ? args[2] : "all";
        String models = args.length > 3 ? args[3] : "all";
        Path library = Path.of(env("LOCALLM_NATIVE_LIBRARY", "/tmp/nb/lib-cpu")).toAbsolutePath();
        Path server = Path.of(env("LLAMA_SERVER", "/tmp/ls/script-test/build-b4980/bin/llama-server"));
        Path work = Files.createDirectories(Path.of("target", "native-build-bench")).toAbsolutePath();
        System.out.printf("Native builds: %d rounds, %d thread(s), cores=%d, load average %s%n", rounds, threads,
                Runtime.getRuntime().availableProcessors(), loadAverage());
        System.out.printf("ours: %s; llama-server: %s (%s); logs in %s%n", library, server, version(server), work);
        List<String> single = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        if (parts.equals("all") || parts.equals("single")) {
            if (models.equals("all") || models.contains("q8")) {
                single.add(singleStream("SmolLM2-135M shape, Q8_0", BenchModels.smolLm2Shape(GgmlType.Q8_0), "q8",
                        threads, rounds, library, server, work, notes));
            }
            if (models.equals("all") || models.contains("q4")) {
                single.add(singleStream("SmolLM2-135M shape, Q4_0", BenchModels.smolLm2Shape(GgmlType.Q4_0), "q4",
                        threads, rounds, library, server, work, notes));
            }
            if (models.equals("all") || models.contains("tiny")) {
                single.add(singleStream("TinyLlama-1.1B shape, Q4_0", BenchModels.tinyLlamaShape(GgmlType.Q4_0),
                        "tiny", threads, rounds, library, server, work, notes));
            }
            System.out.println();
            System.out.printf("Single stream: %d-token prompt, %d greedy tokens, %d thread(s) for decode and prompt, "
                    + "medians of %d rounds%n", PROMPT_TOKENS, GENERATE, threads, rounds);
            System.out.println("| model | stock tok/s | ours tok/s | llama-server tok/s | ours/server | ours/stock "
                    + "| stock TTFT ms | ours TTFT ms | server TTFT ms |");
            System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
            single.forEach(System.out::println);
        }
        if (parts.equals("all") || parts.equals("concurrent")) {
            concurrency(threads, rounds, library, server, work, notes);
        }
        System.out.println();
        notes.forEach(System.out::println);
        System.out.printf("load average at the end: %s%n", loadAverage());
        System.exit(0);
    }

    private static String singleStream(String label, Path model, String key, int threads, int rounds, Path library,
            Path serverBin, Path work, List<String> notes) throws Exception {
        System.out.printf("%n%s (%s)%n", label, model.getFileName());
        String t = String.valueOf(threads);
        try (LlamaServer server = LlamaServer.start(serverBin, model, List.of("-c", "2048", "-np", "1", "-t", t,
                "-tb", t), work.resolve("server-" + key + ".log"))) {
            String prompt = exactPrompt(server);
            Path promptFile = Files.writeString(work.resolve("prompt-" + key + ".txt"), prompt);
            try (Child stock = Child.start(null, model, threads, threads, 1, 2048,
                         work.resolve("stock-" + key + ".log"));
                 Child ours = Child.start(library, model, threads, threads, 1, 2048,
                         work.resolve("ours-" + key + ".log"))) {
                System.out.println("stock: " + stock.library);
                System.out.println("ours: " + ours.library);
                Target[] targets = {stock, ours, server};
                double[][][] r = measure(targets, rounds,
                        (target, round) -> target.single(promptFile, prompt, GENERATE),
                        v -> String.format(Locale.ROOT, "%.1f tok/s %.0f ms", v[0], v[1]));
                double[] tps = new double[3];
                double[] ttft = new double[3];
                StringBuilder counts = new StringBuilder();
                for (int i = 0; i < 3; i++) {
                    tps[i] = median(r[i], 0);
                    ttft[i] = median(r[i], 1);
                    counts.append(i == 0 ? "" : ", ").append(NAMES[i]).append(' ').append(range(r[i], 3))
                            .append(" prompt / ").append(range(r[i], 2)).append(" generated");
                }
                notes.add(label + ": " + counts);
                return String.format(Locale.ROOT, "| %s | %.1f | %.1f | %.1f | %.3f | %.3f | %.0f | %.0f | %.0f |",
                        label, tps[0], tps[1], tps[2], tps[1] / tps[2], tps[1] / tps[0], ttft[0], ttft[1], ttft[2]);
            }
        }
    }

    private static void concurrency(int batchThreads, int rounds, Path library, Path serverBin, Path work,
            List<String> notes) throws Exception {
        Path model = BenchModels.smolLm2Shape(GgmlType.Q4_0);
        System.out.printf("%nConcurrency: %s, %d slots, 1 decode thread, %d for prompts%n", model.getFileName(), SLOTS,
                batchThreads);
        try (LlamaServer server = LlamaServer.start(serverBin, model, List.of("-c", String.valueOf(1024 * SLOTS),
                "-np", String.valueOf(SLOTS), "-t", "1", "-tb", String.valueOf(batchThreads)),
                work.resolve("server-concurrent.log"));
             Child stock = Child.start(null, model, 1, batchThreads, SLOTS, 1024, work.resolve("stock-concurrent.log"));
             Child ours = Child.start(library, model, 1, batchThreads, SLOTS, 1024,
                     work.resolve("ours-concurrent.log"))) {
            Target[] targets = {stock, ours, server};
            double[][][] r = measure(targets, rounds, (target, round) -> {
                double[] one;
                double[] four;
                if (round % 2 == 0) {
                    one = target.burst(1, GENERATE);
                    four = target.burst(SLOTS, GENERATE);
                } else {
                    four = target.burst(SLOTS, GENERATE);
                    one = target.burst(1, GENERATE);
                }
                return new double[] {one[0], four[0], one[1], four[1]};
            }, v -> String.format(Locale.ROOT, "%.1f / %.1f tok/s", v[0], v[1]));
            System.out.println();
            System.out.printf("Concurrency: SmolLM2-135M shape, Q4_0, %d slots, 1 decode thread, %d prompt threads, "
                    + "%d greedy tokens per request, medians of %d rounds%n", SLOTS, batchThreads, GENERATE, rounds);
            System.out.println("| config | 1 client tok/s | 4 clients tok/s (total) | gain 4/1 |");
            System.out.println("|---|---:|---:|---:|");
            double[] four = new double[3];
            StringBuilder counts = new StringBuilder();
            for (int i = 0; i < 3; i++) {
                double one = median(r[i], 0);
                four[i] = median(r[i], 1);
                System.out.printf(Locale.ROOT, "| %s | %.1f | %.1f | %.2f |%n", NAMES[i], one, four[i], four[i] / one);
                counts.append(i == 0 ? "" : ", ").append(NAMES[i]).append(' ').append(range(r[i], 2)).append(" / ")
                        .append(range(r[i], 3));
            }
            System.out.printf(Locale.ROOT, "ours/server, 4 clients: %.3f; ours/stock, 4 clients: %.3f%n",
                    four[1] / four[2], four[1] / four[0]);
            notes.add("Concurrency, tokens generated by 1 / 4 clients: " + counts);
        }
    }

    /** A measurement of one target in one round. */
    private interface Measure {
        double[] run(Target target, int round) throws Exception;
    }

    /** Words, then as many full stops (a token each) as make exactly {@value #PROMPT_TOKENS} tokens with BOS. */
    private static String exactPrompt(LlamaServer server) {
        StringBuilder prompt = new StringBuilder(Prompts.ofTokens(PROMPT_TOKENS, server::countTokens));
        for (int i = 0; i < 8 && server.countTokens(prompt.toString()) < PROMPT_TOKENS; i++) {
            prompt.append('.');
        }
        return prompt.toString();
    }

    /** One warm-up run of each target, then the rounds; [target][round][value], null where a run failed. */
    private static double[][][] measure(Target[] targets, int rounds, Measure measure,
            java.util.function.Function<double[], String> show) {
        for (Target target : targets) {
            try {
                measure.run(target, 0);
            } catch (Exception e) {
                System.out.println("warm-up failed: " + e);
            }
        }
        double[][][] results = new double[targets.length][rounds][];
        for (int round = 0; round < rounds; round++) {
            StringBuilder line = new StringBuilder("  round ").append(round + 1).append(':');
            for (int i : ORDERS[round % ORDERS.length]) {
                double[] v;
                try {
                    v = measure.run(targets[i], round);
                    line.append(' ').append(NAMES[i]).append(' ').append(show.apply(v)).append(';');
                } catch (Exception e) {
                    v = null;
                    line.append(' ').append(NAMES[i]).append(" FAILED (").append(e.getMessage()).append(");");
                }
                results[i][round] = v;
            }
            System.out.println(line);
        }
        return results;
    }

    private static double median(double[][] rounds, int index) {
        double[] values = Arrays.stream(rounds).filter(v -> v != null && Double.isFinite(v[index]))
                .mapToDouble(v -> v[index]).toArray();
        return values.length == 0 ? Double.NaN : DecodeRun.median(values);
    }

    /** The values a field took over the rounds: one number, or min-max. */
    private static String range(double[][] rounds, int index) {
        var stats = Arrays.stream(rounds).filter(v -> v != null).mapToDouble(v -> v[index]).summaryStatistics();
        if (stats.getCount() == 0) {
            return "n/a";
        }
        long min = Math.round(stats.getMin());
        long max = Math.round(stats.getMax());
        return min == max ? String.valueOf(min) : min + "-" + max;
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).strip();
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static String version(Path server) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(server.toString(), "--version").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out.lines().filter(l -> l.startsWith("version:")).findFirst().orElse("version unknown");
    }

    /** A LocaLLM configuration in a child JVM ({@link NativeBuildProbe}); {@code library} null for the stock one. */
    private static final class Child implements Target {
        private final Process process;
        private final BufferedWriter in;
        private final BufferedReader out;
        private final Path log;
        private String library = "unknown";

        private Child(Process process, Path log) {
            this.process = process;
            this.log = log;
            this.in = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
            this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        }

        static Child start(Path library, Path model, int threads, int batchThreads, int parallel, int context,
                Path log) throws IOException {
            List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                    .toString(), "-Xmx1g"));
            command.add(library == null ? "-Dlocallm.llamacpp.variant=stock"
                    : "-Dlocallm.llamacpp.library.path=" + library);
            command.addAll(List.of("-cp", System.getProperty("java.class.path"), NativeBuildProbe.class.getName(),
                    model.toString(), String.valueOf(threads), String.valueOf(batchThreads), String.valueOf(parallel),
                    String.valueOf(context)));
            Process process = new ProcessBuilder(command).redirectError(log.toFile()).start();
            Child child = new Child(process, log);
            for (String line = child.next(); !line.equals("READY"); line = child.next()) {
                if (line.startsWith("LIB ")) {
                    child.library = line.substring(4);
                }
            }
            return child;
        }

        /** The next line the child prints; fails when it has ended. */
        private String next() throws IOException {
            String line = out.readLine();
            if (line == null) {
                int code;
                try {
                    code = process.waitFor(10, TimeUnit.SECONDS) ? process.exitValue() : -1;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    code = -1;
                }
                throw new IllegalStateException("the child ended (exit " + code + "), see " + log);
            }
            return line;
        }

        private double[] call(String command) throws IOException {
            in.write(command);
            in.newLine();
            in.flush();
            for (String line = next(); ; line = next()) {
                if (line.startsWith("RESULT ")) {
                    return Arrays.stream(line.substring(7).split(" ")).mapToDouble(Double::parseDouble).toArray();
                }
                if (line.startsWith("ERROR ")) {
                    throw new IllegalStateException(line.substring(6));
                }
            }
        }

        @Override
        public double[] single(Path promptFile, String prompt, int tokens) throws IOException {
            return call("single " + tokens + " " + promptFile);
        }

        @Override
        public double[] burst(int clients, int tokens) throws IOException {
            return call("burst " + clients + " " + tokens);
        }

        @Override
        public void close() {
            try {
                in.write("quit");
                in.newLine();
                in.flush();
                if (!process.waitFor(30, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (IOException e) {
                process.destroyForcibly();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
    }

    /** llama.cpp's {@code llama-server} on a free port of 127.0.0.1, stopped on close. */
    private static final class LlamaServer implements Target {
        private final Process process;
        private final URI base;
        private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

        private LlamaServer(Process process, int port) {
            this.process = process;
            this.base = URI.create("http://127.0.0.1:" + port);
        }

        static LlamaServer start(Path bin, Path model, List<String> flags, Path log) throws Exception {
            int port;
            try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                port = socket.getLocalPort();
            }
            List<String> command = new ArrayList<>(List.of(bin.toString(), "-m", model.toString(), "--host",
                    "127.0.0.1", "--port", String.valueOf(port), "--no-webui"));
            command.addAll(flags);
            Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile())
                    .start();
            LlamaServer server = new LlamaServer(process, port);
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
            while (true) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("llama-server ended (exit " + process.exitValue() + "), see "
                            + log);
                }
                try {
                    HttpResponse<String> health = server.http.send(HttpRequest.newBuilder(
                            server.base.resolve("/health")).timeout(Duration.ofSeconds(5)).build(),
                            HttpResponse.BodyHandlers.ofString());
                    if (health.statusCode() == 200) {
                        return server;
                    }
                } catch (IOException e) {
                    if (System.nanoTime() > deadline) {
                        server.close();
                        throw new IllegalStateException("llama-server did not start in 10 minutes, see " + log, e);
                    }
                }
                Thread.sleep(200);
            }
        }

        private JsonNode post(String path, Object body) throws IOException, InterruptedException {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(base.resolve(path))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException("llama-server " + path + ": " + response.statusCode() + " "
                        + response.body());
            }
            return JSON.readTree(response.body());
        }

        /** Tokens of {@code text} as {@code /completion} sees it (BOS included). */
        int countTokens(String text) {
            try {
                return post("/tokenize", java.util.Map.of("content", text, "add_special", true)).get("tokens").size();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }

        private JsonNode complete(String prompt, int tokens) throws IOException, InterruptedException {
            java.util.Map<String, Object> body = new java.util.LinkedHashMap<>();
            body.put("prompt", prompt);
            body.put("n_predict", tokens);
            body.put("temperature", 0);
            body.put("top_k", 40);
            body.put("top_p", 0.95);
            body.put("min_p", 0.05);
            body.put("repeat_penalty", 1.0);
            body.put("seed", 1);
            body.put("cache_prompt", false);
            body.put("ignore_eos", true);
            body.put("stream", false);
            return post("/completion", body);
        }

        @Override
        public double[] single(Path promptFile, String prompt, int tokens) throws Exception {
            JsonNode timings = complete(prompt, tokens).get("timings");
            double generated = timings.get("predicted_n").asDouble();
            return new double[] {(generated - 1) * 1000 / timings.get("predicted_ms").asDouble(),
                timings.get("prompt_ms").asDouble(), generated, timings.get("prompt_n").asDouble()};
        }

        @Override
        public double[] burst(int clients, int tokens) throws Exception {
            ExecutorService pool = Executors.newFixedThreadPool(clients);
            try {
                long start = System.nanoTime();
                List<Future<JsonNode>> runs = new ArrayList<>();
                for (int i = 0; i < clients; i++) {
                    String prompt = shortPrompt(i);
                    runs.add(pool.submit(() -> complete(prompt, tokens)));
                }
                int generated = 0;
                for (Future<JsonNode> run : runs) {
                    generated += run.get().get("tokens_predicted").asInt();
                }
                long wall = System.nanoTime() - start;
                return new double[] {generated * 1e9 / wall, generated, wall / 1e6};
            } finally {
                pool.shutdown();
            }
        }

        @Override
        public void close() {
            process.destroy();
            try {
                if (!process.waitFor(30, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
    }
}
