package dev.locallm.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.locallm.ChatModel;
import dev.locallm.LocalLm;
import dev.locallm.chat.ChatRequest;
import dev.locallm.error.ContextLengthExceededException;
import dev.locallm.error.GenerationException;
import dev.locallm.error.StreamInterruptedException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/** Retries, timeouts and error answers, against a loopback server that misbehaves on purpose. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ResilienceTest {
    private static final String STREAM = SseEdgeCaseTest.delta("Hello") + "\n\n" + SseEdgeCaseTest.FINISH + "\n\n"
            + SseEdgeCaseTest.DONE + "\n\n";

    private static ChatModel model(ScriptedHttpServer server, RemoteOptions.Builder options) {
        return LocalLm.builder().model("openai:" + server.baseUrl() + "?model=m&dialect=openai")
                .backendOptions(options.build()).buildChatModel();
    }

    private static void ok(com.sun.net.httpserver.HttpExchange exchange) throws java.io.IOException {
        OutputStream out = ScriptedHttpServer.sse(exchange);
        out.write(STREAM.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void a429IsRetriedAfterItsRetryAfter() {
        AtomicInteger calls = new AtomicInteger();
        try (ScriptedHttpServer server = new ScriptedHttpServer().script("/v1/chat/completions", (ex, body) -> {
            if (calls.getAndIncrement() == 0) {
                ex.getResponseHeaders().set("Retry-After", "1");
                ScriptedHttpServer.json(ex, 429, "{\"error\":{\"message\":\"slow down\",\"type\":\"rate_limit\"}}");
            } else {
                ok(ex);
            }
        }); ChatModel m = model(server, RemoteOptions.builder())) {
            assertThat(m.chat(ChatRequest.of("hi")).text()).isEqualTo("Hello");
            List<ScriptedHttpServer.Received> requests = server.requests("/v1/chat/completions");
            assertThat(requests).hasSize(2);
            long gapMillis = (requests.get(1).nanos() - requests.get(0).nanos()) / 1_000_000;
            assertThat(gapMillis).as("waited for Retry-After: 1").isBetween(950L, 5_000L);
        }
    }

    /**
     * A finished stream leaves its connection to the JDK client's pool instead of closing it, even when the
     * server ends the body a while after {@code [DONE]} (this one waits 100 ms): the client reads the end of the
     * body. Each request waits until the server has answered the previous one in full; the client may still be
     * reading its end, so one extra connection is allowed.
     */
    @Test
    void finishedStreamsLeaveTheirConnectionForTheNextRequest() throws InterruptedException {
        try (ScriptedHttpServer server = new ScriptedHttpServer().script("/v1/chat/completions", (ex, body) -> {
            ok(ex);
            ex.getResponseBody().flush();
            Thread.sleep(100);
        });
             ChatModel m = model(server, RemoteOptions.builder())) {
            for (int i = 0; i < 6; i++) {
                try (var stream = m.chatStream(ChatRequest.of("hi"))) {
                    assertThat(stream.response().text()).isEqualTo("Hello");
                }
                while (server.answered() < server.received.size()) {
                    Thread.sleep(5);
                }
                Thread.sleep(50);
            }
            assertThat(server.requests("/v1/chat/completions").stream()
                    .map(ScriptedHttpServer.Received::clientPort).distinct().count())
                    .as("connections used by 6 streamed replies").isBetween(1L, 2L);
        }
    }

    @Test
    void serverErrorsAreRetriedWithBackoffThenReportedWithStatusAndBody() {
        try (ScriptedHttpServer server = new ScriptedHttpServer().script("/v1/chat/completions",
                (ex, body) -> ScriptedHttpServer.json(ex, 503, "{\"error\":{\"message\":\"loading\",\"code\":\"busy\"}}"));
             ChatModel m = model(server, RemoteOptions.builder().maxRetries(2).maxBackoff(Duration.ofMillis(200)))) {
            assertThatThrownBy(() -> m.chat(ChatRequest.of("hi"))).isInstanceOfSatisfying(RemoteServerException.class,
                    e -> {
                        assertThat(e.status()).isEqualTo(503);
                        assertThat(e.getMessage()).contains("loading");
                        assertThat(e.code()).contains("busy");
                        assertThat(e.body()).contains("\"loading\"");
                    });
            assertThat(server.requests("/v1/chat/completions")).hasSize(3);
        }
    }

    @Test
    void clientErrorsAreNotRetried() {
        try (ScriptedHttpServer server = new ScriptedHttpServer().script("/v1/chat/completions",
                (ex, body) -> ScriptedHttpServer.json(ex, 400, "{\"detail\":[{\"msg\":\"temperature too high\"}]}"));
             ChatModel m = model(server, RemoteOptions.builder().maxRetries(3))) {
            assertThatThrownBy(() -> m.chat(ChatRequest.of("hi"))).isInstanceOfSatisfying(RemoteServerException.class,
                    e -> assertThat(e.status()).isEqualTo(400)).hasMessageContaining("temperature too high");
            assertThat(server.requests("/v1/chat/completions")).hasSize(1);
        }
    }

    /** An error answer whose body stops coming is reported with what arrived once the read timeout passes. */
    @Test
    void anErrorAnswerWhoseBodyStallsIsReportedAfterTheReadTimeout() {
        try (ScriptedHttpServer server = new ScriptedHttpServer().script("/v1/chat/completions", (ex, body) -> {
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(500, 0);
            ex.getResponseBody().write("{\"error\":{\"message\":\"overlo".getBytes(StandardCharsets.UTF_8));
            ex.getResponseBody().flush();
            Thread.sleep(10_000);
        }); ChatModel m = model(server, RemoteOptions.builder().maxRetries(0).readTimeout(Duration.ofSeconds(1)))) {
            assertThatThrownBy(() -> m.chat(ChatRequest.of("hi"))).isInstanceOfSatisfying(RemoteServerException.class,
                    e -> {
                        assertThat(e.status()).isEqualTo(500);
                        assertThat(e.body()).isEqualTo("{\"error\":{\"message\":\"overlo");
                    });
        }
    }

    @Test
    void contextErrorsOfEachFamilyBecomeContextLengthExceeded() {
        String[] bodies = {
            "{\"object\":\"error\",\"message\":\"This model's maximum context length is 2048 tokens. However, you "
                    + "requested 2100 tokens (2000 in the messages, 100 in the completion). Please reduce the length.\","
                    + "\"type\":\"BadRequestError\",\"code\":400}",
            "{\"error\":{\"code\":400,\"message\":\"the request exceeds the available context size, try increasing "
                    + "it\",\"type\":\"exceed_context_size_error\",\"n_prompt_tokens\":2000,\"n_ctx\":2048}}",
            "{\"error\":{\"message\":\"The prompt has 3000 tokens but the context window holds 2048 tokens, with at "
                    + "least one left for the reply.\",\"type\":\"invalid_request_error\",\"param\":\"messages\","
                    + "\"code\":\"context_length_exceeded\"}}"};
        for (String errorBody : bodies) {
            try (ScriptedHttpServer server = new ScriptedHttpServer().script("/v1/chat/completions",
                    (ex, body) -> ScriptedHttpServer.json(ex, 400, errorBody));
                 ChatModel m = model(server, RemoteOptions.builder())) {
                assertThatThrownBy(() -> m.chat(ChatRequest.of("hi")))
                        .isInstanceOfSatisfying(ContextLengthExceededException.class, e -> {
                            assertThat(e.contextLength()).isEqualTo(2048);
                            assertThat(e.promptTokens()).isGreaterThanOrEqualTo(2000);
                        });
            }
        }
    }

    @Test
    void aStalledStreamTimesOutWithinTenPercentAndIsNotRetried() {
        long timeoutMillis = 2_000;
        try (ScriptedHttpServer server = new ScriptedHttpServer().script("/v1/chat/completions", (ex, body) -> {
            OutputStream out = ScriptedHttpServer.sse(ex);
            out.write((SseEdgeCaseTest.delta("Hel") + "\n\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            Thread.sleep(30_000);
        }); ChatModel m = model(server, RemoteOptions.builder().readTimeout(Duration.ofMillis(timeoutMillis)))) {
            var stream = m.chatStream(ChatRequest.of("hi"));
            var chunks = stream.iterator();
            assertThat(chunks.next().text()).isEqualTo("Hel");
            long start = System.nanoTime();
            assertThatThrownBy(chunks::next).isInstanceOfSatisfying(StreamInterruptedException.class,
                    e -> assertThat(e.partialText()).isEqualTo("Hel")).hasMessageContaining("sent nothing");
            long waited = (System.nanoTime() - start) / 1_000_000;
            assertThat(waited).isBetween(timeoutMillis - 50, timeoutMillis * 11 / 10);
            stream.close();
            assertThat(server.requests("/v1/chat/completions")).as("never retried after the first byte").hasSize(1);
        }
    }

    @Test
    void aDroppedConnectionMidStreamIsAnInterruptionWithThePartialText() throws Exception {
        AtomicInteger requests = new AtomicInteger();
        try (ServerSocket listener = new ServerSocket(0, 4, InetAddress.getLoopbackAddress())) {
            Thread server = new Thread(() -> dropAfterOneEvent(listener, requests), "drops-mid-stream");
            server.setDaemon(true);
            server.start();
            try (ChatModel m = LocalLm.builder()
                    .model("openai:http://127.0.0.1:" + listener.getLocalPort() + "/v1?model=m&dialect=openai&ctx=512")
                    .backendOptions(RemoteOptions.builder().maxRetries(3).build()).buildChatModel()) {
                assertThatThrownBy(() -> m.chat(ChatRequest.of("hi")))
                        .isInstanceOfSatisfying(StreamInterruptedException.class,
                                e -> assertThat(e.partialText()).isEqualTo("Hello"));
                assertThat(requests).hasValue(1);
            }
        }
    }

    /**
     * A server whose connection ends inside a streamed body, deterministically: it sends the headers and one
     * event, then ends its side of the connection (FIN after the data, so nothing sent is lost) before the
     * chunked body's last chunk. Stopping an {@code HttpServer} instead can reset the connection before the
     * client has read what was sent.
     */
    private static void dropAfterOneEvent(ServerSocket listener, AtomicInteger requests) {
        while (!listener.isClosed()) {
            try (java.net.Socket socket = listener.accept()) {
                requests.incrementAndGet();
                java.io.InputStream in = socket.getInputStream();
                String head = readHead(in);
                java.util.regex.Matcher length = java.util.regex.Pattern.compile("(?i)content-length:\\s*(\\d+)")
                        .matcher(head);
                in.readNBytes(length.find() ? Integer.parseInt(length.group(1)) : 0);
                byte[] event = (SseEdgeCaseTest.delta("Hello") + "\n\n").getBytes(StandardCharsets.UTF_8);
                OutputStream out = socket.getOutputStream();
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + Integer.toHexString(event.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(event);
                out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                socket.shutdownOutput();
                in.read();
            } catch (java.io.IOException e) {
                return;
            }
        }
    }

    /** The request line and headers, up to the blank line. */
    private static String readHead(java.io.InputStream in) throws java.io.IOException {
        StringBuilder head = new StringBuilder();
        while (head.length() < 4 || !head.substring(head.length() - 4).equals("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new java.io.EOFException();
            }
            head.append((char) b);
        }
        return head.toString();
    }

    @Test
    void connectionRefusedIsRetriedThenATypedError() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        RemoteOptions options = RemoteOptions.builder().model("m").dialect(Dialect.OPENAI).maxRetries(2)
                .maxBackoff(Duration.ofMillis(100)).build();
        try (ChatModel m = LocalLm.builder().model("openai:http://127.0.0.1:" + port + "/v1").backendOptions(options)
                .buildChatModel()) {
            assertThatThrownBy(() -> m.chat(ChatRequest.of("hi"))).isInstanceOf(GenerationException.class)
                    .hasMessageContaining("after 3 attempt(s)");
        }
    }

    @Test
    void theKeyGoesOnlyToTheServerAsBearerAndNeverIntoTheLogs() {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        Level before = root.getLevel();
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        root.addAppender(logs);
        root.setLevel(Level.DEBUG);
        AtomicInteger calls = new AtomicInteger();
        try (ScriptedHttpServer other = new ScriptedHttpServer().script("/v1/chat/completions", (ex, b) -> ok(ex));
             ScriptedHttpServer server = new ScriptedHttpServer().script("/v1/chat/completions", (ex, body) -> {
                 if (calls.getAndIncrement() == 0) {
                     ScriptedHttpServer.json(ex, 500, "{\"error\":\"try again\"}");
                 } else {
                     ex.getResponseHeaders().set("Location", other.baseUrl() + "/chat/completions");
                     ex.sendResponseHeaders(307, -1);
                 }
             }); ChatModel m = model(server, RemoteOptions.builder().apiKey("sk-secret-123")
                     .maxBackoff(Duration.ofMillis(50)))) {
            assertThatThrownBy(() -> m.chat(ChatRequest.of("hi"))).isInstanceOfSatisfying(RemoteServerException.class,
                    e -> assertThat(e.status()).isEqualTo(307));
            assertThat(server.requests("/v1/chat/completions")).allSatisfy(r ->
                    assertThat(r.headers().get("Authorization")).containsExactly("Bearer sk-secret-123"));
            assertThat(other.received).as("the redirect was not followed").isEmpty();
            assertThat(logs.list).isNotEmpty().noneMatch(e -> e.getFormattedMessage().contains("sk-secret"));
            assertThat(m.toString()).doesNotContain("sk-secret");
        } finally {
            root.detachAppender(logs);
            root.setLevel(before);
        }
    }

    @Test
    void aServerThatIgnoresStreamAndAnswersJsonStillWorks() {
        try (ScriptedHttpServer server = new ScriptedHttpServer().script("/v1/chat/completions",
                (ex, body) -> ScriptedHttpServer.json(ex, 200, "{\"id\":\"x\",\"object\":\"chat.completion\",\"choices\":"
                        + "[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hello whole\"},"
                        + "\"finish_reason\":\"length\"}],\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":2,"
                        + "\"total_tokens\":6}}"));
             ChatModel m = model(server, RemoteOptions.builder())) {
            var response = m.chat(ChatRequest.of("hi"));
            assertThat(response.text()).isEqualTo("Hello whole");
            assertThat(response.usage().completionTokens()).isEqualTo(2);
            assertThat(response.finishReason()).isEqualTo(dev.locallm.chat.FinishReason.LENGTH);
        }
    }

    @Test
    void aServerThatRefusesStreamOptionsIsAskedAgainWithoutThem() {
        try (ScriptedHttpServer server = new ScriptedHttpServer().script("/v1/chat/completions", (ex, body) -> {
            if (body.contains("stream_options")) {
                ScriptedHttpServer.json(ex, 400, "{\"object\":\"error\",\"message\":\"[{'type': 'extra_forbidden', "
                        + "'loc': ('body', 'stream_options'), 'msg': 'Extra inputs are not permitted'}]\"}");
            } else {
                ok(ex);
            }
        }); ChatModel m = model(server, RemoteOptions.builder())) {
            assertThat(m.chat(ChatRequest.of("hi")).text()).isEqualTo("Hello");
            assertThat(m.chat(ChatRequest.of("hi")).text()).isEqualTo("Hello");
            assertThat(server.requests("/v1/chat/completions")).extracting(r -> r.body().contains("stream_options"))
                    .containsExactly(true, false, false);
        }
    }
}
