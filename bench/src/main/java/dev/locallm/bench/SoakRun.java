package dev.locallm.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
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
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A soak run of {@code locallm serve --parallel 2} as a user starts it (the CLI jar, in its own process): mixed
 * traffic from three clients (chat, streams read to the end, streams and requests abandoned midway, tool calls,
 * JSON schemas, legacy completions, embeddings) and, every two minutes, a burst of 40 requests at once, well past
 * the 2 slots and the queue of 16. Every minute the traffic pauses for a probe: once no generation runs (a burst
 * still in flight is let finish), a stream is abandoned after its first token and {@code /metrics} is polled until
 * no generation runs again. At the start (after a minute of traffic)
 * and at the end, the server's heap after a full GC ({@code jcmd}) and its resident memory are read. The server's
 * own output goes to {@code target/soak-server.log}.
 *
 * <p>Usage: {@code bench/run.sh SoakRun [minutes] [cli jar] [model] [serve options...]}; defaults 30,
 * {@code cli/target/locallm.jar}, {@code stories260K-chatml.gguf}; further arguments go to {@code serve} (such as
 * {@code --ctx 2048}).
 */
public final class SoakRun {
    /**
     * The kinds of request the clients send, by number (0 chat, 1 stream, 2 stream abandoned, 3 chat abandoned,
     * 4 tools, 5 schema, 6 completion, 7 embedding, 8 long prompt): all, or those of {@code -Dsoak.kinds=4,5,...}
     * to narrow down what a failure needs.
     */
    private static final int[] KINDS = java.util.Arrays.stream(System.getProperty("soak.kinds", "0,1,2,3,4,5,6,7,8")
            .split(",")).mapToInt(k -> Integer.parseInt(k.trim())).toArray();
    private static final Pattern BASE_URL = Pattern.compile("OpenAI base URL: (http://\\S+)/v1");
    private static final String TOOL = "{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":"
            + "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}}}";
    /**
     * Room for a whole call: the frame alone ({@code <tool_call>{"name": "get_weather", "arguments": {"city": "})
     * takes about 60 of stories260K's 512 pieces, and a call cut before its arguments is a 400.
     */
    private static final int TOOL_MAX_TOKENS = 128;
    private static final String SCHEMA = "{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"p\",\"schema\":{\"type\":"
            + "\"object\",\"properties\":{\"name\":{\"type\":\"string\",\"maxLength\":10},\"age\":{\"type\":\"integer\","
            + "\"minimum\":0,\"maximum\":120}},\"required\":[\"name\",\"age\"],\"additionalProperties\":false}}}";

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    private final String root;
    private final String model;
    private final String embedModel;
    private final ReentrantReadWriteLock pause = new ReentrantReadWriteLock(true);
    private final Map<String, List<Long>> latencies = new ConcurrentHashMap<>();
    private final Map<String, Map<String, AtomicLong>> statuses = new ConcurrentHashMap<>();
    private final List<String> problems = Collections.synchronizedList(new ArrayList<>());
    private final List<Long> slotFreeMillis = Collections.synchronizedList(new ArrayList<>());
    private final AtomicLong completionTokens = new AtomicLong();
    private volatile boolean running = true;

    private SoakRun(String root, String model, String embedModel) {
        this.root = root;
        this.model = model;
        this.embedModel = embedModel;
    }

    public static void main(String[] args) throws Exception {
        int minutes = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        Path jar = Path.of(args.length > 1 ? args[1] : "cli/target/locallm.jar");
        Path modelFile = args.length > 2 ? Path.of(args[2]) : BenchModels.shared("stories260K-chatml.gguf");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-Xmx512m", "-jar", jar.toString(), "serve", "-m", modelFile.toString(),
                "--embedding-model", modelFile.toString(), "--parallel", "2", "--port", "0"));
        command.addAll(Arrays.asList(args).subList(Math.min(3, args.length), args.length));
        Process server = new ProcessBuilder(command).redirectErrorStream(true).start();
        String base = null;
        InputStream out = server.getInputStream();
        StringBuilder line = new StringBuilder();
        for (int c; base == null && (c = out.read()) >= 0; ) {
            if (c == '\n') {
                Matcher m = BASE_URL.matcher(line);
                base = m.find() ? m.group(1) : null;
                line.setLength(0);
            } else {
                line.append((char) c);
            }
        }
        Path log = Files.createDirectories(Path.of("target")).resolve("soak-server.log");
        Thread drainer = new Thread(() -> drain(out, log), "server-output");
        drainer.setDaemon(true);
        drainer.start();
        if (base == null) {
            throw new IllegalStateException("the server did not start");
        }
        String name = modelFile.getFileName().toString().replace(".gguf", "");
        int status = 0;
        try {
            new SoakRun(base, name, name).run(server, minutes);
        } catch (Exception e) {
            status = 1;
            System.out.println("FAILED: " + e.getMessage() + "; the server's output is in " + log.toAbsolutePath());
        } finally {
            server.destroy();
            server.waitFor(30, TimeUnit.SECONDS);
        }
        System.exit(status);
    }

    private void run(Process server, int minutes) throws Exception {
        System.out.printf("Soak: locallm serve --parallel 2 (pid %d), %d minute(s), 3 clients + bursts of 40%n",
                server.pid(), minutes);
        ExecutorService clients = Executors.newCachedThreadPool();
        for (int i = 0; i < 3; i++) {
            long seed = i;
            clients.submit(() -> client(new Random(seed)));
        }
        long start = System.nanoTime();
        long end = start + TimeUnit.MINUTES.toNanos(minutes);
        Thread.sleep(Math.min(60_000, TimeUnit.MINUTES.toMillis(minutes) / 4));
        long[] first = memory(server);
        System.out.printf("start: heap after GC %.1f MB, RSS %.1f MB%n", first[0] / 1e6, first[1] / 1e6);
        long nextBurst = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        long nextProbe = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        long nextWindow = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        long windowRequests = 0;
        long windowTokens = 0;
        while (System.nanoTime() < end) {
            Thread.sleep(1000);
            if (!server.isAlive()) {
                throw new IllegalStateException(String.format("the server process ended (exit code %d) after %.1f "
                        + "minutes", server.exitValue(), (System.nanoTime() - start) / 6e10));
            }
            if (System.nanoTime() > nextWindow) {
                long requests = latencies.values().stream().mapToLong(List::size).sum();
                System.out.printf("%3.0f min: %.1f requests/s, %.1f completion tokens/s in the last 5 minutes; RSS "
                        + "%.1f MB%n", (System.nanoTime() - start) / 6e10, (requests - windowRequests) / 300.0,
                        (completionTokens.get() - windowTokens) / 300.0, rss(server) / 1e6);
                windowRequests = requests;
                windowTokens = completionTokens.get();
                nextWindow += TimeUnit.MINUTES.toNanos(5);
            }
            if (System.nanoTime() > nextBurst) {
                burst();
                nextBurst += TimeUnit.MINUTES.toNanos(2);
            }
            if (System.nanoTime() > nextProbe) {
                probeDisconnect();
                nextProbe += TimeUnit.MINUTES.toNanos(1);
            }
        }
        running = false;
        clients.shutdown();
        clients.awaitTermination(5, TimeUnit.MINUTES);
        double seconds = (System.nanoTime() - start) / 1e9;
        Thread.sleep(2000);
        long[] last = memory(server);
        System.out.printf("end: heap after GC %.1f MB, RSS %.1f MB (start %.1f / %.1f)%n", last[0] / 1e6,
                last[1] / 1e6, first[0] / 1e6, first[1] / 1e6);
        report(seconds);
    }

    /** One client: a random mix of requests, back to back, paused while a probe runs. */
    private void client(Random random) {
        while (running) {
            pause.readLock().lock();
            try {
                switch (KINDS[random.nextInt(KINDS.length)]) {
                    case 0 -> post("chat", "/v1/chat/completions", chat("\"max_tokens\":" + (8 + random.nextInt(64))));
                    case 1 -> post("stream", "/v1/chat/completions", chat("\"stream\":true,\"stream_options\":"
                            + "{\"include_usage\":true},\"max_tokens\":" + (8 + random.nextInt(128))));
                    case 2 -> abandon("stream abandoned", chat("\"stream\":true,\"max_tokens\":300"),
                            1 + random.nextInt(5));
                    case 3 -> abandon("chat abandoned", chat("\"max_tokens\":300"), 0);
                    case 4 -> post("tools", "/v1/chat/completions", chat("\"tools\":[" + TOOL + "],\"tool_choice\":"
                            + (random.nextBoolean() ? "\"required\"" : "\"auto\"") + ",\"max_tokens\":"
                            + TOOL_MAX_TOKENS));
                    case 5 -> post("schema", "/v1/chat/completions", chat("\"response_format\":" + SCHEMA
                            + ",\"max_tokens\":64"));
                    case 6 -> post("completion", "/v1/completions", "{\"model\":\"" + model + "\",\"prompt\":"
                            + "\"Once upon a time\",\"max_tokens\":" + (8 + random.nextInt(64)) + "}");
                    case 7 -> post("embedding", "/v1/embeddings", "{\"model\":\"" + embedModel + "\",\"input\":"
                            + "[\"a cat\",\"a dog on a mat\"]}");
                    default -> post("long prompt", "/v1/chat/completions", "{\"model\":\"" + model + "\","
                            + "\"messages\":[{\"role\":\"user\",\"content\":\"" + "The cat sat on the mat. "
                            .repeat(10 + random.nextInt(30)) + "\"}],\"max_tokens\":16}");
                }
            } catch (Exception e) {
                problems.add("client: " + e);
            } finally {
                pause.readLock().unlock();
            }
        }
    }

    private String chat(String extra) {
        return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a story\"}],"
                + extra + "}";
    }

    private void post(String kind, String path, String body) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(root + path))
                .timeout(Duration.ofMinutes(2)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        record(kind, r.statusCode() == 503 && r.body().contains("KV cache") ? "503 (KV cache)" : r.statusCode() == 503
                ? "503 (full)" : String.valueOf(r.statusCode()), t0);
        if (r.statusCode() == 503 && r.headers().firstValue("Retry-After").isEmpty()) {
            problems.add(kind + ": 503 without Retry-After");
        }
        if (r.statusCode() >= 500 && r.statusCode() != 503) {
            problems.add(kind + ": " + r.statusCode() + " " + r.body());
        }
        if (r.statusCode() == 200) {
            countTokens(r.body());
        }
    }

    private void countTokens(String body) {
        for (String part : body.startsWith("{") ? List.of(body) : body.lines()
                .filter(l -> l.startsWith("data: {")).map(l -> l.substring(6)).toList()) {
            JsonNode usage = JsonMapper.shared().readTree(part).path("usage");
            if (usage.has("completion_tokens")) {
                completionTokens.addAndGet(usage.get("completion_tokens").asLong());
            }
            if (part.contains("\"error\"")) {
                problems.add("an error in a stream: " + part);
            }
        }
    }

    /**
     * Sends a request over a raw socket and closes it after {@code events} SSE events (0: right after sending), or
     * as soon as the status is not 200: a refused request is answered in one piece on a connection kept open.
     */
    private void abandon(String kind, String body, int events) throws IOException {
        long t0 = System.nanoTime();
        URI uri = URI.create(root);
        try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
            socket.setSoTimeout(30_000);
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            OutputStream o = socket.getOutputStream();
            o.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + bytes.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            o.write(bytes);
            o.flush();
            if (events > 0) {
                InputStream in = socket.getInputStream();
                StringBuilder seen = new StringBuilder();
                for (int c; (c = in.read()) >= 0 && count(seen, "data: ") < events; ) {
                    seen.append((char) c);
                    if (seen.length() == 12 && !seen.substring(9, 12).equals("200")) {
                        break;
                    }
                }
                String head = seen.length() >= 12 ? seen.substring(9, 12) : "0";
                record(kind, head.matches("\\d{3}") ? head : "none", t0);
            } else {
                Thread.sleep(50);
                record(kind, "none", t0);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static int count(CharSequence text, String what) {
        int n = 0;
        for (int i = text.toString().indexOf(what); i >= 0; i = text.toString().indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }

    private void burst() throws InterruptedException {
        ExecutorService burst = Executors.newFixedThreadPool(40);
        for (int i = 0; i < 40; i++) {
            burst.submit(() -> {
                try {
                    post("burst", "/v1/chat/completions", chat("\"max_tokens\":32"));
                } catch (Exception e) {
                    problems.add("burst: " + e);
                }
                return null;
            });
        }
        burst.shutdown();
        burst.awaitTermination(5, TimeUnit.MINUTES);
    }

    /** With the traffic paused: abandons a stream after its first event and times until no generation runs. */
    private void probeDisconnect() throws Exception {
        pause.writeLock().lock();
        try {
            long idle = System.nanoTime();
            while (activeGenerations() > 0 && System.nanoTime() - idle < TimeUnit.SECONDS.toNanos(60)) {
                Thread.sleep(20);
            }
            abandon("probe", chat("\"stream\":true,\"max_tokens\":400"), 2);
            long t0 = System.nanoTime();
            while (activeGenerations() > 0) {
                if (System.nanoTime() - t0 > TimeUnit.SECONDS.toNanos(10)) {
                    problems.add("a slot still busy 10 s after a disconnect");
                    break;
                }
                Thread.sleep(5);
            }
            slotFreeMillis.add((System.nanoTime() - t0) / 1_000_000);
        } finally {
            pause.writeLock().unlock();
        }
    }

    private int activeGenerations() throws IOException, InterruptedException {
        String metrics = client.send(HttpRequest.newBuilder(URI.create(root + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        Matcher m = Pattern.compile("(?m)^locallm_active_generations\\S*\\s+(\\S+)").matcher(metrics);
        return m.find() ? (int) Double.parseDouble(m.group(1)) : -1;
    }

    private void record(String kind, String status, long t0) {
        latencies.computeIfAbsent(kind, k -> Collections.synchronizedList(new ArrayList<>()))
                .add((System.nanoTime() - t0) / 1_000_000);
        statuses.computeIfAbsent(kind, k -> new ConcurrentHashMap<>()).computeIfAbsent(status, k -> new AtomicLong())
                .incrementAndGet();
    }

    /** Heap used after a full GC and resident memory of the server process, in bytes. */
    private static long[] memory(Process server) throws IOException, InterruptedException {
        String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        new ProcessBuilder(jcmd, Long.toString(server.pid()), "GC.run").redirectErrorStream(true).start().waitFor();
        Process info = new ProcessBuilder(jcmd, Long.toString(server.pid()), "GC.heap_info").redirectErrorStream(true)
                .start();
        String heap = new String(info.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        Matcher used = Pattern.compile("used (\\d+)K").matcher(heap);
        long heapUsed = used.find() ? Long.parseLong(used.group(1)) * 1024 : -1;
        return new long[] {heapUsed, rss(server)};
    }

    /** Resident memory of the server process, in bytes; -1 where {@code /proc} does not tell. */
    private static long rss(Process server) throws IOException {
        for (String l : Files.readAllLines(Path.of("/proc/" + server.pid() + "/status"))) {
            if (l.startsWith("VmRSS:")) {
                return Long.parseLong(l.replaceAll("\\D", "")) * 1024;
            }
        }
        return -1;
    }

    private void report(double seconds) {
        long requests = latencies.values().stream().mapToLong(List::size).sum();
        System.out.printf("%d requests in %.0f s: %.1f requests/s, %.1f completion tokens/s%n", requests, seconds,
                requests / seconds, completionTokens.get() / seconds);
        System.out.println("| kind | requests | statuses | p50 ms | p99 ms |");
        System.out.println("|---|---:|---|---:|---:|");
        for (Map.Entry<String, List<Long>> e : new TreeMap<>(latencies).entrySet()) {
            List<Long> sorted = new ArrayList<>(e.getValue());
            Collections.sort(sorted);
            Map<String, Long> byStatus = new TreeMap<>();
            statuses.getOrDefault(e.getKey(), Map.of()).forEach((k, v) -> byStatus.put(k, v.get()));
            System.out.printf("| %s | %d | %s | %d | %d |%n", e.getKey(), sorted.size(), byStatus,
                    sorted.get(sorted.size() / 2), sorted.get(Math.min(sorted.size() - 1, sorted.size() * 99 / 100)));
        }
        List<Long> free = new ArrayList<>(slotFreeMillis);
        Collections.sort(free);
        System.out.printf("slots free after a disconnect: %d probes, max %d ms, all %s%n", free.size(),
                free.isEmpty() ? -1 : free.get(free.size() - 1), free);
        System.out.printf("problems: %d%n", problems.size());
        problems.stream().limit(20).forEach(p -> System.out.println("  " + p));
    }

    /** Keeps the server's output in {@code log}, for its warnings. */
    private static void drain(InputStream in, Path log) {
        try (OutputStream file = Files.newOutputStream(log)) {
            in.transferTo(file);
        } catch (IOException ignored) {
            // the server stopped
        }
    }
}
