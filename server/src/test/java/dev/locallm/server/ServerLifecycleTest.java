package dev.locallm.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.locallm.ChatModel;
import dev.locallm.chat.ChatChunk;
import dev.locallm.chat.ChatRequest;
import dev.locallm.stream.ChatStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/**
 * Slots, queue, disconnects and shutdown, against the real model consumed at a slow pace. The server has 2
 * slots. Nothing here depends on timing: a {@link PacedChatModel.Gate} holds streams while a test looks at a
 * state that needs them running, and the tests wait for states (with a limit that only catches hangs).
 */
class ServerLifecycleTest {
    private static final Pattern ACTIVE = Pattern.compile("(?m)^locallm_active_generations (\\S+)$");
    private static final Pattern QUEUED = Pattern.compile("(?m)^locallm_queue_depth (\\S+)$");
    private static final String LONG_STREAM = RawHttp.chat("\"stream\":true,\"max_tokens\":400,\"seed\":1");
    private static final long LIMIT_S = Eventually.LIMIT.toSeconds();

    private static ServingFixture paced(LocalLmServer.Builder builder, Duration pause, PacedChatModel.Gate gate) {
        return ServingFixture.start(builder.apiKey(ServingFixture.KEY), m -> new PacedChatModel(m, pause, gate));
    }

    private static int gauge(RawHttp http, Pattern gauge) {
        Matcher m = gauge.matcher(http.get("/metrics").body());
        assertThat(m.find()).isTrue();
        return (int) Double.parseDouble(m.group(1));
    }

    /** Whether a new connection to {@code port} is refused. */
    private static boolean refused(int port) {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            return false;
        } catch (ConnectException e) {
            return true;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * Both of the model's slots are free: a second generation starts while a first one, unfinished, holds a
     * slot. (Two generations one after the other would pass on a single slot too; a leaked slot makes the second
     * wait forever.)
     */
    private static void assertTwoGenerationsRunAtOnce(ChatModel model) throws Exception {
        ChatRequest request = ChatRequest.builder().user("Hi").options(o -> o.maxTokens(400).seed(2L)).build();
        try (ChatStream first = model.chatStream(request)) {
            ChatChunk chunk = first.iterator().next();
            assertThat(chunk.isLast()).as("the first generation is still running").isFalse();
            CompletableFuture<ChatChunk> second = CompletableFuture.supplyAsync(() -> {
                try (ChatStream s = model.chatStream(request)) {
                    return s.iterator().next();
                }
            });
            assertThat(second.get(LIMIT_S, TimeUnit.SECONDS)).as("a second generation runs beside the first")
                    .isNotNull();
        }
    }

    @Test
    void aClientThatDisconnectsMidStreamCancelsItsGenerationAndFreesItsSlot() throws Exception {
        int disconnects = Integer.getInteger("locallm.disconnects", 50);
        PacedChatModel.Gate gate = new PacedChatModel.Gate();
        try (ServingFixture f = paced(LocalLmServer.builder(), Duration.ofMillis(20), gate)) {
            RawHttp http = new RawHttp(f.baseUrl(), ServingFixture.KEY);
            for (int i = 0; i < disconnects; i++) {
                gate.holdAfter(1);
                try (SseSocket stream = new SseSocket(f.server.port(), ServingFixture.KEY, LONG_STREAM)) {
                    assertThat(stream.status).isEqualTo(200);
                    assertThat(stream.nextEvent()).contains("\"role\":\"assistant\"");
                    assertThat(stream.nextEvent()).contains("chat.completion.chunk");
                    gate.awaitWaiting(1);
                    assertThat(gauge(http, ACTIVE)).isEqualTo(1);
                } // the client goes away while its generation is held mid-stream
                gate.release();
                gate.awaitEnded(i + 1);
                assertThat(gate.cancelled()).as("generation %d cancelled, not run to its end", i).isEqualTo(i + 1);
                int disconnect = i;
                Eventually.until("slot freed after disconnect " + disconnect, () -> gauge(http, ACTIVE) == 0);
            }
            assertThat(gate.finished()).isZero();
            assertTwoGenerationsRunAtOnce(f.chatModel);
        }
    }

    @Test
    void whenSlotsAndQueueAreFullRequestsGet503WithRetryAfter() throws Exception {
        PacedChatModel.Gate gate = new PacedChatModel.Gate();
        try (ServingFixture f = paced(LocalLmServer.builder().queueSize(1), Duration.ofMillis(50), gate)) {
            RawHttp http = new RawHttp(f.baseUrl(), ServingFixture.KEY);
            List<SseSocket> running = new ArrayList<>();
            gate.holdAfter(1);
            try {
                for (int i = 0; i < 2; i++) {
                    SseSocket s = new SseSocket(f.server.port(), ServingFixture.KEY, LONG_STREAM);
                    running.add(s);
                    assertThat(s.nextEvent()).contains("assistant");
                }
                gate.awaitWaiting(2); // both slots are taken until the gate opens
                CompletableFuture<HttpResponse<String>> queued = CompletableFuture.supplyAsync(
                        () -> http.post("/v1/chat/completions", RawHttp.chat("\"max_tokens\":2")));
                Eventually.until("a request waits in the queue", () -> gauge(http, QUEUED) == 1);
                HttpResponse<String> rejected = http.post("/v1/chat/completions", RawHttp.chat("\"max_tokens\":2"));
                assertThat(rejected.statusCode()).isEqualTo(503);
                assertThat(rejected.headers().firstValue("Retry-After")).contains("1");
                assertThat(RawHttp.json(rejected).at("/error/code").asString()).isEqualTo("overloaded");
                assertThat(queued).as("the queued request waits while both slots are taken").isNotDone();

                running.remove(0).close();
                gate.release();
                HttpResponse<String> served = queued.get(LIMIT_S, TimeUnit.SECONDS);
                assertThat(served.statusCode()).as("the queued request runs once a slot is free").isEqualTo(200);
            } finally {
                running.forEach(SseSocket::close);
                gate.release();
            }
        }
    }

    @Test
    void closeLetsRunningStreamsFinishAndRefusesNewOnes() throws Exception {
        PacedChatModel.Gate gate = new PacedChatModel.Gate();
        ServingFixture f = paced(LocalLmServer.builder().drainTimeout(Eventually.LIMIT), Duration.ofMillis(5), gate);
        try {
            String shortStream = RawHttp.chat("\"stream\":true,\"max_tokens\":60,\"seed\":3");
            gate.holdAfter(1);
            SseSocket stream = new SseSocket(f.server.port(), ServingFixture.KEY, shortStream);
            assertThat(stream.nextEvent()).contains("assistant");
            gate.awaitWaiting(1);
            CompletableFuture<Void> closing = CompletableFuture.runAsync(f.server::close);
            int port = f.server.port();
            Eventually.until("the closing server refuses new connections", () -> refused(port));
            assertThat(closing).as("close waits for the running stream").isNotDone();

            gate.release();
            List<String> rest = new ArrayList<>();
            String event;
            while ((event = stream.nextEvent()) != null) {
                rest.add(event);
                if (event.equals("[DONE]")) {
                    break;
                }
            }
            assertThat(rest).last().isEqualTo("[DONE]");
            assertThat(rest.stream().filter(e -> !e.equals("[DONE]")).map(JsonMapper.shared()::readTree)
                    .filter(c -> c.at("/choices/0/finish_reason").isString())).hasSize(1);
            closing.get(LIMIT_S, TimeUnit.SECONDS);
            stream.close();
            gate.awaitEnded(1);
            assertThat(gate.finished()).as("the stream ran to its end").isEqualTo(1);
            RawHttp http = new RawHttp(f.baseUrl(), ServingFixture.KEY);
            assertThatThrownBy(() -> http.get("/health")).hasCauseInstanceOf(ConnectException.class);
        } finally {
            gate.release();
            f.close();
        }
    }

    @Test
    void theDrainTimeoutCutsStreamsThatRunTooLongAndFreesTheirSlots() throws Exception {
        PacedChatModel.Gate gate = new PacedChatModel.Gate();
        try (ServingFixture f = paced(LocalLmServer.builder().drainTimeout(Duration.ofMillis(300)),
                Duration.ofMillis(20), gate)) {
            gate.holdAfter(1);
            SseSocket stream = new SseSocket(f.server.port(), ServingFixture.KEY, LONG_STREAM);
            CompletableFuture<Void> closing;
            try {
                assertThat(stream.nextEvent()).contains("assistant");
                gate.awaitWaiting(1); // the stream cannot end before the gate opens
                closing = CompletableFuture.runAsync(f.server::close);
                List<String> events = new ArrayList<>();
                String event;
                while ((event = stream.nextEvent()) != null) {
                    events.add(event);
                }
                assertThat(events).as("the stream was cut, not finished").doesNotContain("[DONE]");
            } finally {
                gate.release();
                stream.close();
            }
            closing.get(LIMIT_S, TimeUnit.SECONDS);
            gate.awaitEnded(1);
            assertThat(gate.cancelled()).as("the cut generation was cancelled").isEqualTo(1);
            assertTwoGenerationsRunAtOnce(f.chatModel);
        }
    }
}
