package dev.locallm.bench;

import com.sun.net.httpserver.HttpServer;
import dev.locallm.ChatModel;
import dev.locallm.LocalLm;
import dev.locallm.chat.ChatChunk;
import dev.locallm.chat.ChatRequest;
import dev.locallm.stream.ChatStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import tools.jackson.databind.json.JsonMapper;

/**
 * What the remote backend's client costs per streamed token: a loopback server replays the same recorded-shape
 * 2,000-token SSE stream (OpenAI chunks with usage) to the JDK's {@code HttpClient} reading the bytes and
 * nothing else, and to a LocaLLM {@code openai:} model streamed with {@code chatStream} (SSE parsing, JSON,
 * core's stop-sequence and chunk machinery), in alternation. Prints medians of wall time, of the CPU time of
 * the consuming thread, and of the CPU time of all threads (the server's, the JDK client's, GC): on a 2-core
 * machine the loopback server and the client's I/O thread compete with the consumer for the cores, so wall
 * time overstates the client's own cost; the consumer's CPU time is the parsing and dispatch, and all threads'
 * CPU time adds what the client causes elsewhere (garbage, wake-ups).
 *
 * <p>Usage: {@code bench/run.sh RemoteClientBench [rounds]}.
 */
public final class RemoteClientBench {
    private static int TOKENS = 2000;
    /** Rounds of both readers before measuring: the JIT has compiled the whole path after about 200. */
    private static final int WARM_UP_ROUNDS = 300;

    private RemoteClientBench() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 21;
        TOKENS = args.length > 1 ? Integer.parseInt(args[1]) : 2000;
        byte[] stream = stream();
        // Real servers (Go's net/http, uvicorn, Jetty) send with TCP_NODELAY; without it the JDK's server holds
        // its last small write for the client's delayed ACK, adding up to 40 ms to either side at random.
        System.setProperty("sun.net.httpserver.nodelay", "true");
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newFixedThreadPool(2));
        server.createContext("/v1/chat/completions", ex -> {
            ex.getRequestBody().readAllBytes();
            ex.getResponseHeaders().set("Content-Type", "text/event-stream");
            ex.sendResponseHeaders(200, 0);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(stream);
            }
        });
        server.createContext("/v1/models", ex -> {
            byte[] models = "{\"object\":\"list\",\"data\":[{\"id\":\"m\",\"object\":\"model\"}]}"
                    .getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, models.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(models);
            }
        });
        server.start();
        String base = "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        try (ChatModel model = LocalLm.chatModel("openai:" + base + "?model=m&dialect=openai")) {
            ChatRequest request = ChatRequest.of("hi");
            for (int i = 0; i < WARM_UP_ROUNDS; i++) {
                raw(http, base);
                locallm(model, request);
            }
            double[][] raw = new double[3][rounds];
            double[][] ours = new double[3][rounds];
            for (int i = 0; i < rounds; i++) {
                double[] r;
                double[] o;
                if (i % 2 == 0) {
                    r = raw(http, base);
                    o = locallm(model, request);
                } else {
                    o = locallm(model, request);
                    r = raw(http, base);
                }
                for (int k = 0; k < 3; k++) {
                    raw[k][i] = r[k];
                    ours[k][i] = o[k];
                }
            }
            double rw = DecodeRun.median(raw[0]);
            double ow = DecodeRun.median(ours[0]);
            double rc = DecodeRun.median(raw[1]);
            double oc = DecodeRun.median(ours[1]);
            double rp = DecodeRun.median(raw[2]);
            double op = DecodeRun.median(ours[2]);
            System.out.printf("Remote client, %d-token stream of %d bytes, %d alternating rounds, medians; cores=%d%n",
                    TOKENS, stream.length, rounds, Runtime.getRuntime().availableProcessors());
            System.out.println("| | HttpClient reads the bytes | LocaLLM chatStream | LocaLLM extra per token |");
            System.out.println("|---|---:|---:|---:|");
            System.out.printf("| wall time, ms | %.2f | %.2f (%.2fx) | %.2f µs |%n", rw, ow, ow / rw, (ow - rw) * 1000 / TOKENS);
            System.out.printf("| consumer thread CPU, ms | %.2f | %.2f | %.2f µs |%n", rc, oc, (oc - rc) * 1000 / TOKENS);
            System.out.printf("| all threads' CPU (server too), ms | %.2f | %.2f | %.2f µs |%n", rp, op, (op - rp) * 1000 / TOKENS);
            System.out.printf("Client's own cost over reading the bytes: %.1f%% (consumer CPU extra / HttpClient wall), "
                    + "%.1f%% (all threads' CPU extra / HttpClient wall)%n", (oc - rc) / rw * 100,
                    (op - rp) / rw * 100);
            System.out.printf("Chunk reading alone (ChunkStreamReader over the stream's data lines, in memory, "
                    + "one thread): %.2f µs per chunk%n", chunkReadingMicros(stream));
        } finally {
            server.stop(0);
        }
        System.exit(0);
    }

    /**
     * Median microseconds per chunk of the wire module's reader over every {@code data:} line of the stream, in
     * memory, over the second half of 200 passes (the first half warms up).
     */
    private static double chunkReadingMicros(byte[] stream) {
        String[] events = new String(stream, java.nio.charset.StandardCharsets.UTF_8).split("\n\n");
        java.util.List<byte[]> chunks = new java.util.ArrayList<>();
        for (String e : events) {
            if (e.startsWith("data: {")) {
                chunks.add(e.substring(6).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
        }
        int passes = 200;
        long[] nanos = new long[passes];
        long sink = 0;
        for (int i = 0; i < passes; i++) {
            long start = System.nanoTime();
            dev.locallm.openai.ChunkStreamReader reader = new dev.locallm.openai.ChunkStreamReader();
            for (byte[] c : chunks) {
                sink += reader.read(c, 0, c.length).text().length();
            }
            nanos[i] = System.nanoTime() - start;
        }
        if (sink == 0) {
            throw new IllegalStateException("no text read");
        }
        long[] second = java.util.Arrays.copyOfRange(nanos, passes / 2, passes);
        java.util.Arrays.sort(second);
        return second[second.length / 2] / 1000.0 / chunks.size();
    }

    /** A stream as OpenAI shapes it: a role chunk, one chunk per token, a finish chunk, usage, [DONE]. */
    private static byte[] stream() {
        StringBuilder sb = new StringBuilder();
        String head = "data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,"
                + "\"model\":\"m\",\"system_fingerprint\":\"fp\",\"choices\":[{\"index\":0,\"delta\":";
        sb.append(head).append("{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n");
        String[] words = {" the", " little", " dog", " ran", " to", " park", " and", " played", ",", " happy", "."};
        for (int i = 0; i < TOKENS; i++) {
            sb.append(head).append("{\"content\":").append(JsonMapper.shared().writeValueAsString(words[i % words.length]))
                    .append("},\"logprobs\":null,\"finish_reason\":null}]}\n\n");
        }
        sb.append(head).append("{},\"logprobs\":null,\"finish_reason\":\"length\"}]}\n\n");
        sb.append("data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,"
                + "\"model\":\"m\",\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":" + TOKENS
                + ",\"total_tokens\":" + (TOKENS + 5) + "}}\n\n");
        sb.append("data: [DONE]\n\n");
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static final java.lang.management.ThreadMXBean THREADS =
            java.lang.management.ManagementFactory.getThreadMXBean();

    /** CPU time of every live thread (the process's own clock ticks in 10 ms steps here). */
    private static java.util.Map<Long, Long> allThreadsCpu() {
        java.util.Map<Long, Long> cpu = new java.util.HashMap<>();
        for (long id : THREADS.getAllThreadIds()) {
            cpu.put(id, THREADS.getThreadCpuTime(id));
        }
        return cpu;
    }

    /** CPU time all threads used since {@code before}; a thread started since counts in full. */
    private static long cpuSince(java.util.Map<Long, Long> before) {
        long sum = 0;
        for (java.util.Map.Entry<Long, Long> now : allThreadsCpu().entrySet()) {
            if (now.getValue() >= 0) {
                sum += now.getValue() - Math.max(0, before.getOrDefault(now.getKey(), 0L));
            }
        }
        return sum;
    }

    /** Wall time, the calling thread's CPU time and the whole process's, in ms. */
    private static double[] raw(HttpClient http, String base) throws Exception {
        long cpu = THREADS.getCurrentThreadCpuTime();
        java.util.Map<Long, Long> process = allThreadsCpu();
        long start = System.nanoTime();
        HttpResponse<InputStream> response = http.send(HttpRequest.newBuilder(URI.create(base + "/chat/completions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        long bytes = 0;
        byte[] buffer = new byte[16384];
        try (InputStream in = response.body()) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                bytes += n;
            }
        }
        if (bytes == 0) {
            throw new IllegalStateException("no bytes");
        }
        return new double[] {(System.nanoTime() - start) / 1e6, (THREADS.getCurrentThreadCpuTime() - cpu) / 1e6,
                cpuSince(process) / 1e6};
    }

    private static double[] locallm(ChatModel model, ChatRequest request) {
        long cpu = THREADS.getCurrentThreadCpuTime();
        java.util.Map<Long, Long> process = allThreadsCpu();
        long start = System.nanoTime();
        int tokens = 0;
        try (ChatStream stream = model.chatStream(request)) {
            for (ChatChunk chunk : stream) {
                if (chunk.isLast()) {
                    tokens = chunk.response().orElseThrow().usage().completionTokens();
                }
            }
        }
        if (tokens != TOKENS) {
            throw new IllegalStateException("expected " + TOKENS + " tokens, got " + tokens);
        }
        return new double[] {(System.nanoTime() - start) / 1e6, (THREADS.getCurrentThreadCpuTime() - cpu) / 1e6,
                cpuSince(process) / 1e6};
    }
}
