package dev.locallm.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.locallm.chat.ChatRequest;
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
 * Slots, queue, disconnects and shutdown, against the real model consumed at a slow pace (so a generation holds
 * its slot for seconds). The server has 2 slots.
 */
class ServerLifecycleTest {
    private static final Pattern ACTIVE = Pattern.compile("(?m)^locallm_active_generations (\\S+)$");
    private static final String LONG_STREAM = RawHttp.chat("\"stream\":true,\"max_tokens\":400,\"seed\":1");

    private static ServingFixture paced(LocalLmServer.Builder builder, Duration pause) {
        return ServingFixture.start(builder.apiKey(ServingFixture.KEY), m -> new PacedChatModel(m, pause));
    }

    private static int active(RawHttp http) {
        Matcher m = ACTIVE.matcher(http.get("/metrics").body());
        assertThat(m.find()).isTrue();
        return (int) Double.parseDouble(m.group(1));
    }

    /** Polls {@code /metrics} until no generation runs; returns whether that happened within {@code limit}. */
    private static boolean idleWithin(RawHttp http, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            if (active(http) == 0) {
                return true;
            }
            Thread.sleep(10);
        }
        return active(http) == 0;
    }

    @Test
    void aClientThatDisconnectsMidStreamFreesItsSlot() throws Exception {
        int disconnects = Integer.getInteger("locallm.disconnects", 50);
        try (ServingFixture f = paced(LocalLmServer.builder(), Duration.ofMillis(20))) {
            RawHttp http = new RawHttp(f.baseUrl(), ServingFixture.KEY);
            for (int i = 0; i < disconnects; i++) {
                try (SseSocket stream = new SseSocket(f.server.port(), ServingFixture.KEY, LONG_STREAM)) {
                    assertThat(stream.status).isEqualTo(200);
                    assertThat(stream.nextEvent()).contains("\"role\":\"assistant\"");
                    assertThat(stream.nextEvent()).contains("chat.completion.chunk");
                    assertThat(active(http)).isEqualTo(1);
                }
                assertThat(idleWithin(http, Duration.ofSeconds(1))).as("slot freed after disconnect %d", i).isTrue();
            }
            ChatRequest direct = ChatRequest.builder().user("Hi").options(o -> o.maxTokens(4)).build();
            assertThat(f.chatModel.chat(direct).usage().completionTokens()).isPositive();
        }
    }

    @Test
    void whenSlotsAndQueueAreFullRequestsGet503WithRetryAfter() throws Exception {
        try (ServingFixture f = paced(LocalLmServer.builder().queueSize(1), Duration.ofMillis(50))) {
            RawHttp http = new RawHttp(f.baseUrl(), ServingFixture.KEY);
            List<SseSocket> running = new ArrayList<>();
            try {
                for (int i = 0; i < 2; i++) {
                    SseSocket s = new SseSocket(f.server.port(), ServingFixture.KEY, LONG_STREAM);
                    assertThat(s.nextEvent()).contains("assistant");
                    running.add(s);
                }
                CompletableFuture<HttpResponse<String>> queued = CompletableFuture.supplyAsync(
                        () -> http.post("/v1/chat/completions", RawHttp.chat("\"max_tokens\":2")));
                while (!http.get("/metrics").body().contains("locallm_queue_depth 1.0")) {
                    Thread.sleep(10);
                }
                HttpResponse<String> rejected = http.post("/v1/chat/completions", RawHttp.chat("\"max_tokens\":2"));
                assertThat(rejected.statusCode()).isEqualTo(503);
                assertThat(rejected.headers().firstValue("Retry-After")).contains("1");
                assertThat(RawHttp.json(rejected).at("/error/code").asString()).isEqualTo("overloaded");

                running.remove(0).close();
                HttpResponse<String> served = queued.get(30, TimeUnit.SECONDS);
                assertThat(served.statusCode()).as("the queued request runs once a slot is free").isEqualTo(200);
            } finally {
                running.forEach(SseSocket::close);
            }
        }
    }

    @Test
    void closeLetsRunningStreamsFinishAndRefusesNewOnes() throws Exception {
        ServingFixture f = paced(LocalLmServer.builder().drainTimeout(Duration.ofSeconds(30)), Duration.ofMillis(5));
        try {
            String shortStream = RawHttp.chat("\"stream\":true,\"max_tokens\":60,\"seed\":3");
            SseSocket stream = new SseSocket(f.server.port(), ServingFixture.KEY, shortStream);
            assertThat(stream.nextEvent()).contains("assistant");
            CompletableFuture<Void> closing = CompletableFuture.runAsync(f.server::close);
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
            closing.get(30, TimeUnit.SECONDS);
            stream.close();
            RawHttp http = new RawHttp(f.baseUrl(), ServingFixture.KEY);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> http.get("/health"))
                    .hasCauseInstanceOf(java.net.ConnectException.class);
        } finally {
            f.close();
        }
    }

    @Test
    void theDrainTimeoutCutsStreamsThatRunTooLongAndFreesTheirSlots() throws Exception {
        try (ServingFixture f = paced(LocalLmServer.builder().drainTimeout(Duration.ofMillis(300)),
                Duration.ofMillis(100))) {
            SseSocket stream = new SseSocket(f.server.port(), ServingFixture.KEY, LONG_STREAM);
            assertThat(stream.nextEvent()).contains("assistant");
            f.server.close();
            String event;
            String last = null;
            while ((event = stream.nextEvent()) != null) {
                last = event;
            }
            assertThat(last).isNotEqualTo("[DONE]");
            stream.close();
            ChatRequest direct = ChatRequest.builder().user("Hi").options(o -> o.maxTokens(4)).build();
            CompletableFuture<Integer> both = CompletableFuture.supplyAsync(() -> f.chatModel.chat(direct).usage()
                    .completionTokens());
            assertThat(f.chatModel.chat(direct).usage().completionTokens()).isPositive();
            assertThat(both.get(30, TimeUnit.SECONDS)).as("both slots are free again").isPositive();
        }
    }
}
