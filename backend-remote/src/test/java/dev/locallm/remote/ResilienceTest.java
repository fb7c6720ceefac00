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
import dev.locallm.chat.FinishReason;
import dev.locallm.error.ContextLengthExceededException;
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
import tools.jackson.databind.json.JsonMapper;

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
            assertThat(gapMillis).as("waited for Retry-After: 1, not less").isBetween(950L, 30_000L);
        }
    }

    /**
     * A finished stream leaves its connection to the JDK client's pool instead of closing it, even when the
     * server ends the body a while after {@code [DONE]} (this one waits 100 ms): after the last event the rest of
     * the body is read ({@link EventStream#drain}). The JDK pools the connection before it tells the body's
     * subscriber that the body ended, so each stream waits for that end before the next request is sent: then
     * every request reuses the one connection.
     */
    @Test
    void finishedStreamsLeaveTheirConnectionForTheNextRequest() throws InterruptedException {
        try (ScriptedHttpServer server = new ScriptedHttpServer().script("/v1/chat/completions", (ex, body) -> {
            ok(ex);
            ex.getResponseBody().flush();
            Thread.sleep(100);
        })) {
            HttpTransport transport = new HttpTransport(server.baseUrl(), RemoteOptions.builder().build());
            for (int i = 0; i < 6; i++) {
                EventStream stream = transport.openStream("/chat/completions",
                        JsonMapper.shared().createObjectNode().put("stream", true), transport.deadline());
                List<String> events = new java.util.ArrayList<>();
                for (SseParser.Event e; (e = next(stream)) != null && !e.isDone(); ) {
                    events.add(e.text());
                }
                assertThat(events).hasSize(2);
                stream.drain();
                while (!stream.bodyEnded()) {
                    Thread.sleep(5);
                }
                assertThat(stream.cancelled()).as("drained, not cancelled").isFalse();
            }
            assertThat(server.requests("/v1/chat/completions").stream()
                    .map(ScriptedHttpServer.Received::clientPort).distinct().count())
                    .as("connections used by 6 streamed replies").isEqualTo(1L);
        }
    }

    private static SseParser.Event next(EventStream stream) {
        try {
            return stream.next(TimeUnit.SECONDS.toNanos(30), System.nanoTime() + TimeUnit.SECONDS.toNanos(30));
        } catch (EventStream.Stalled | java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void serverErrorsAreRetriedWithBackoffThenReportedWithStatusAndBody() {
        try (ScriptedHttpServer server = new ScriptedHttpServer().script("/v1/chat/completions",
                (ex, body) -> ScriptedHttpServer.json(ex, 503, "{\"error\":{\"message\":\"loading\",\"code\":\"busy\"}}"));
             ChatModel m = model(server, RemoteOptions.builder().maxRetries(2).maxBackoff(Duration.ofMillis(200)))) {
            assertThatThrownBy(() -> m.chat(ChatRequest.of("hi"))).isInstanceOfSatisfying(RemoteServerErrorException.class,
                    e -> {
                        assertThat(e.retryable()).isTrue();
                        assertThat(e.status()).isEqualTo(503);
                        assertThat(e.getMessage()).contains("loading");
                        assertThat(e.code()).contains("busy");
                        assertThat(e.body()).contains("\"loading\"");
                    });
            assertThat(server.requests("/v1/chat/completions")).hasSize(3);
        }
    }

    /** Each family of error answers has its own type, which says whether trying again may help. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"401, RemoteAuthenticationException, false",
        "403, RemoteAuthenticationException, false", "404, RemoteNotFoundException, false",
        "422, RemoteBadRequestException, false", "429, RemoteRateLimitException, true",
        "500, RemoteServerErrorException, false", "501, RemoteServerErrorException, false",
        "502, RemoteServerErrorException, true", "503, RemoteServerErrorException, true",
        "504, RemoteServerErrorException, true", "408, RemoteServerErrorException, true"})
    void eachStatusFamilyHasItsType(int status, String type, boolean retryable) {
        try (ScriptedHttpServer server = new ScriptedHttpServer().script("/v1/chat/completions",
                (ex, body) -> ScriptedHttpServer.json(ex, status, "{\"error\":{\"message\":\"no\",\"code\":\"c\"}}"));
             ChatModel m = model(server, RemoteOptions.builder().maxRetries(0))) {
            assertThatThrownBy(() -> m.chat(ChatRequest.of("hi"))).isInstanceOfSatisfying(RemoteServerException.class,
                    e -> {
                        assertThat(e.getClass().getSimpleName()).isEqualTo(type);
                        assertThat(e.retryable()).isEqualTo(retryable);
                        assertThat(e.status()).isEqualTo(status);
                        assertThat(e.code()).hasValue("c");
                    });
        }
    }

    @Test
    void clientErrorsAreNotRetried() {
        try (ScriptedHttpServer server = new ScriptedHttpServer().script("/v1/chat/completions",
                (ex, body) -> ScriptedHttpServer.json(ex, 400, "{\"detail\":[{\"msg\":\"temperature too high\"}]}"));
             ChatModel m = model(server, RemoteOptions.builder().maxRetries(3))) {
            assertThatThrownBy(() -> m.chat(ChatRequest.of("hi"))).isInstanceOfSatisfying(RemoteBadRequestException.class,
                    e -> assertThat(e.status()).isEqualTo(400)).hasMessageContaining("temperature too high");
            assertThat(server.requests("/v1/chat/completions")).hasSize(1);
        }
    }

    /** llama-server refuses what it cannot do with a 500 ("Cannot use custom grammar constraints with tools."). */
    @Test
    void a500IsNotRetried() {
        try (ScriptedHttpServer server = new ScriptedHttpServer().script("/v1/chat/completions",
                (ex, body) -> ScriptedHttpServer.json(ex, 500, "{\"error\":{\"code\":500,\"message\":\"Cannot use "
                        + "custom grammar constraints with tools.\",\"type\":\"server_error\"}}"));
             ChatModel m = model(server, RemoteOptions.builder().maxRetries(3))) {
            assertThatThrownBy(() -> m.chat(ChatRequest.of("hi"))).isInstanceOfSatisfying(
                    RemoteServerErrorException.class, e -> assertThat(e.retryable()).isFalse())
                    .hasMessageContaining("Cannot use custom grammar");
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
        }); ChatModel m = model(server, RemoteOptions.builder().maxRetries(0).readTimeout(Duration.ofSeconds(2)))) {
            assertThatThrownBy(() -> m.chat(ChatRequest.of("hi"))).isInstanceOfSatisfying(RemoteServerException.class,
                    e -> {
                        assertThat(e.status()).isEqualTo(500);
                        assertThat(e.body()).isEqualTo("{\"error\":{\"message\":\"overlo");
                    });
        }
    }

    /** Numbers are read as data, never from LocaLLM's own sentence: without the fields it is a plain 400. */
    @Test
    void aContextErrorWithoutItsNumbersIsABadRequest() {
        try (ScriptedHttpServer server = new ScriptedHttpServer().script("/v1/chat/completions",
                (ex, body) -> ScriptedHttpServer.json(ex, 400, "{\"error\":{\"message\":\"The prompt has 3000 tokens "
                        + "but the context window holds 2048 tokens.\",\"type\":\"invalid_request_error\","
                        + "\"code\":\"context_length_exceeded\"}}"));
             ChatModel m = model(server, RemoteOptions.builder())) {
            assertThatThrownBy(() -> m.chat(ChatRequest.of("hi")))
                    .isInstanceOfSatisfying(RemoteBadRequestException.class, e -> {
                        assertThat(e.code()).hasValue("context_length_exceeded");
                        assertThat(e.retryable()).isFalse();
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
                    + "\"code\":\"context_length_exceeded\",\"n_prompt_tokens\":3000,\"n_ctx\":2048}}"};
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

    /** The read timeout ends a stream that stalls, not before it has passed, and the stream is not sent again. */
    @Test
    void aStalledStreamTimesOutAfterTheReadTimeoutAndIsNotRetried() {
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
            assertThat(waited).as("not early; the upper limit only catches a hang").isBetween(timeoutMillis - 50,
                    timeoutMillis + 20_000);
            stream.close();
            assertThat(server.requests("/v1/chat/completions")).as("never retried after the first byte").hasSize(1);
        }
    }

    /**
     * The retry rule for streams (see {@link HttpTransport}): once the server's 2xx status line has arrived, the
     * request is never sent again. Here the connection ends right after the first event; whether the client's
     * reading thread or the thread that sent the request learns of it first, the caller gets the event's text
     * and then the interruption, from one request.
     */
    @Test
    void aDroppedConnectionMidStreamIsAnInterruptionWithThePartialText() throws Exception {
        byte[] event = (SseEdgeCaseTest.delta("Hello") + "\n\n").getBytes(StandardCharsets.UTF_8);
        try (DroppingServer server = new DroppingServer(STREAM_HEAD + Integer.toHexString(event.length) + "\r\n"
                + new String(event, StandardCharsets.UTF_8) + "\r\n"); ChatModel m = server.model(3)) {
            assertThatThrownBy(() -> m.chat(ChatRequest.of("hi")))
                    .isInstanceOfSatisfying(StreamInterruptedException.class,
                            e -> assertThat(e.partialText()).isEqualTo("Hello"));
            assertThat(server.requests).hasValue(1);
        }
    }

    /** Accepted with a 2xx status line and no event yet is accepted all the same: not sent again. */
    @Test
    void aStreamDroppedAfterItsHeadersIsNotSentAgain() throws Exception {
        try (DroppingServer server = new DroppingServer(STREAM_HEAD); ChatModel m = server.model(3)) {
            assertThatThrownBy(() -> m.chat(ChatRequest.of("hi")))
                    .isInstanceOfSatisfying(StreamInterruptedException.class,
                            e -> assertThat(e.partialText()).isEmpty());
            assertThat(server.requests).hasValue(1);
        }
    }

    /** A connection that ends before any answer is retried, up to the limit, then reported. */
    @Test
    void aConnectionDroppedBeforeTheAnswerIsRetried() throws Exception {
        try (DroppingServer server = new DroppingServer(""); ChatModel m = server.model(2)) {
            assertThatThrownBy(() -> m.chat(ChatRequest.of("hi"))).isInstanceOf(RemoteUnreachableException.class)
                    .isNotInstanceOf(StreamInterruptedException.class).hasMessageContaining("(3 attempts)");
            assertThat(server.requests).hasValue(3);
        }
    }

    private static final String STREAM_HEAD =
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";

    /**
     * A server whose connections end inside the answer, deterministically: it reads the request, sends a fixed
     * prefix of an answer, then ends its side of the connection (FIN after the data, so nothing sent is lost) and
     * waits for the client to close. Stopping an {@code HttpServer} instead can reset the connection before the
     * client has read what was sent.
     */
    private static final class DroppingServer implements AutoCloseable {
        final AtomicInteger requests = new AtomicInteger();
        private final ServerSocket listener;
        private final byte[] sent;

        DroppingServer(String sent) throws java.io.IOException {
            this.sent = sent.getBytes(StandardCharsets.UTF_8);
            this.listener = new ServerSocket(0, 4, InetAddress.getLoopbackAddress());
            Thread thread = new Thread(this::serve, "drops-mid-answer");
            thread.setDaemon(true);
            thread.start();
        }

        ChatModel model(int retries) {
            return LocalLm.builder()
                    .model("openai:http://127.0.0.1:" + listener.getLocalPort() + "/v1?model=m&dialect=openai&ctx=512")
                    .backendOptions(RemoteOptions.builder().maxRetries(retries).maxBackoff(Duration.ofMillis(20))
                            .build()).buildChatModel();
        }

        private void serve() {
            while (!listener.isClosed()) {
                try (java.net.Socket socket = listener.accept()) {
                    requests.incrementAndGet();
                    java.io.InputStream in = socket.getInputStream();
                    String head = readHead(in);
                    java.util.regex.Matcher length = java.util.regex.Pattern.compile("(?i)content-length:\\s*(\\d+)")
                            .matcher(head);
                    in.readNBytes(length.find() ? Integer.parseInt(length.group(1)) : 0);
                    OutputStream out = socket.getOutputStream();
                    out.write(sent);
                    out.flush();
                    socket.shutdownOutput();
                    in.read();
                } catch (java.io.IOException e) {
                    if (listener.isClosed()) {
                        return;
                    }
                }
            }
        }

        @Override
        public void close() throws java.io.IOException {
            listener.close();
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
        RemoteOptions options = RemoteOptions.builder().model("m").dialect(Dialect.OPENAI).contextLength(512)
                .maxRetries(2).maxBackoff(Duration.ofMillis(100)).build();
        try (ChatModel m = LocalLm.builder().model("openai:http://127.0.0.1:" + port + "/v1").backendOptions(options)
                .buildChatModel()) {
            assertThatThrownBy(() -> m.chat(ChatRequest.of("hi"))).isInstanceOf(RemoteUnreachableException.class)
                    .hasMessageContaining("(3 attempts)");
        }
    }

    @Test
    void theWireLogShowsRequestsAndAnswersWithCredentialsRedacted() {
        Logger wire = (Logger) LoggerFactory.getLogger(WireLog.LOGGER);
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        wire.addAppender(logs);
        try (ScriptedHttpServer server = new ScriptedHttpServer().script("/v1/chat/completions", (ex, b) -> ok(ex));
             ChatModel m = model(server, RemoteOptions.builder().apiKey("sk-secret-123").header("X-Api-Key", "k-9")
                     .wireLog(true))) {
            assertThat(m.chat(ChatRequest.of("hi")).text()).isEqualTo("Hello");
            List<String> lines = logs.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
            assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("--> POST http://127.0.0.1:")
                    .contains("/v1/chat/completions").contains("Authorization: ██").contains("X-Api-Key: ██")
                    .contains("\"content\":\"hi\""));
            assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("<-- 200 "));
            assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("<-- data: ").contains("Hello"));
            assertThat(lines).noneMatch(l -> l.contains("sk-secret") || l.contains("k-9"));
        } finally {
            wire.detachAppender(logs);
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
                     ScriptedHttpServer.json(ex, 503, "{\"error\":\"try again\"}");
                 } else {
                     ex.getResponseHeaders().set("Location", other.baseUrl() + "/chat/completions");
                     ex.sendResponseHeaders(307, -1);
                 }
             }); ChatModel m = model(server, RemoteOptions.builder().apiKey("sk-secret-123")
                     .maxBackoff(Duration.ofMillis(50)))) {
            assertThatThrownBy(() -> m.chat(ChatRequest.of("hi"))).isInstanceOfSatisfying(RemoteNotFoundException.class,
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
