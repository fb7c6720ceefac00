package dev.locallm.remote;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

/**
 * A loopback HTTP server for tests that answers each path with a scripted handler and records every request
 * (time, headers, body). {@code /v1/models} lists one model, {@code m}, unless scripted otherwise.
 */
final class ScriptedHttpServer implements AutoCloseable {

    /** One received request; {@code clientPort} tells the client's connections apart. */
    record Received(long nanos, String method, String path, Map<String, List<String>> headers, String body,
            int clientPort) { }

    /** Answers one request. */
    interface Script {
        void answer(HttpExchange exchange, String body) throws IOException, InterruptedException;
    }

    private final HttpServer server;
    private final Map<String, Script> scripts = new ConcurrentHashMap<>();
    final List<Received> received = new CopyOnWriteArrayList<>();
    private final java.util.concurrent.atomic.AtomicInteger answered = new java.util.concurrent.atomic.AtomicInteger();

    ScriptedHttpServer() {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setExecutor(Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "scripted-http");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/", this::handle);
        script("/v1/models", (ex, body) -> json(ex, 200, "{\"object\":\"list\",\"data\":[{\"id\":\"m\","
                + "\"object\":\"model\",\"owned_by\":\"someone\"}]}"));
        server.start();
    }

    String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
    }

    ScriptedHttpServer script(String path, Script script) {
        scripts.put(path, script);
        return this;
    }

    private void handle(HttpExchange exchange) throws IOException {
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        String path = exchange.getRequestURI().getPath();
        received.add(new Received(System.nanoTime(), exchange.getRequestMethod(), path,
                Map.copyOf(exchange.getRequestHeaders()), body, exchange.getRemoteAddress().getPort()));
        Script script = scripts.get(path);
        try {
            if (script == null) {
                json(exchange, 404, "{\"error\":{\"message\":\"no such path\"}}");
            } else {
                script.answer(exchange, body);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // the client went away
        } finally {
            exchange.close();
            answered.incrementAndGet();
        }
    }

    /** How many requests have been answered in full (the exchange closed). */
    int answered() {
        return answered.get();
    }

    /** The requests to a path. */
    List<Received> requests(String path) {
        return received.stream().filter(r -> r.path().equals(path)).toList();
    }

    static void json(HttpExchange exchange, int status, String json) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    /** Starts a streamed (chunked) event-stream answer and returns its body. */
    static OutputStream sse(HttpExchange exchange) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
        exchange.sendResponseHeaders(200, 0);
        return exchange.getResponseBody();
    }

    /** Writes the pieces, flushing after each one. */
    static void write(OutputStream out, List<byte[]> pieces) throws IOException {
        for (byte[] piece : pieces) {
            out.write(piece);
            out.flush();
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
