package dev.locallm.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.locallm.ChatModel;
import dev.locallm.chat.ChatChunk;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.ChatResponse;
import dev.locallm.error.ModelBusyException;
import dev.locallm.stream.ChatStream;
import java.net.http.HttpResponse;
import java.util.Iterator;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * A generation the model dropped because of other requests is run again when the client has seen nothing of it,
 * and is otherwise a 503 that OpenAI clients retry; never a 500.
 */
class BusyModelTest {
    private static ServingFixture fixture;
    private static RawHttp http;

    @BeforeAll
    static void start() {
        fixture = ServingFixture.start(LocalLmServer.builder().apiKey(ServingFixture.KEY), BusyOnRequest::new);
        http = new RawHttp(fixture.baseUrl(), ServingFixture.KEY);
    }

    @AfterAll
    static void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    @Test
    void aGenerationDroppedEveryTimeIsA503WithRetryAfter() {
        int before = BusyOnRequest.STARTS.get();
        HttpResponse<String> busy = http.post("/v1/chat/completions", "{\"model\":\"stories\",\"messages\":[{\"role\":"
                + "\"user\",\"content\":\"busy\"}],\"max_tokens\":4}");

        assertThat(busy.statusCode()).as(busy.body()).isEqualTo(503);
        assertThat(busy.headers().firstValue("Retry-After")).contains("1");
        JsonNode error = RawHttp.json(busy).get("error");
        assertThat(error.get("type").asString()).isEqualTo("server_error");
        assertThat(error.get("code").asString()).isEqualTo("overloaded");
        assertThat(error.get("message").asString()).contains("no room in the KV cache");
        assertThat(BusyOnRequest.STARTS.get() - before).as("the first run and two more").isEqualTo(3);
        HttpResponse<String> other = http.post("/v1/chat/completions", RawHttp.chat("\"max_tokens\":4"));
        assertThat(other.statusCode()).as(other.body()).isEqualTo(200);
    }

    @Test
    void aGenerationDroppedOnceIsRunAgainUnseen() {
        HttpResponse<String> answered = http.post("/v1/chat/completions", "{\"model\":\"stories\",\"messages\":"
                + "[{\"role\":\"user\",\"content\":\"busy once\"}],\"max_tokens\":4}");

        assertThat(answered.statusCode()).as(answered.body()).isEqualTo(200);
        assertThat(RawHttp.json(answered).at("/usage/completion_tokens").asInt()).isBetween(1, 4);
    }

    /**
     * Drops the generation of a request whose last message is "busy" every time, and of "busy once" the first
     * time, as a model does whose KV cache had no room.
     */
    private static final class BusyOnRequest extends ForwardingChatModel {
        static final AtomicInteger STARTS = new AtomicInteger();
        private final AtomicBoolean droppedOnce = new AtomicBoolean();

        BusyOnRequest(ChatModel model) {
            super(model);
        }

        @Override
        public ChatStream chatStream(ChatRequest request) {
            String text = request.messages().get(request.messages().size() - 1).text();
            ChatStream stream = model.chatStream(request);
            if (text.equals("busy") || (text.equals("busy once") && droppedOnce.compareAndSet(false, true))) {
                STARTS.incrementAndGet();
                return new Dropped(stream);
            }
            if (text.startsWith("busy")) {
                STARTS.incrementAndGet();
            }
            return stream;
        }
    }

    /** A stream whose generation the model dropped. */
    private record Dropped(ChatStream delegate) implements ChatStream {
        @Override
        public Iterator<ChatChunk> iterator() {
            return delegate.iterator();
        }

        @Override
        public Stream<ChatChunk> stream() {
            return delegate.stream();
        }

        @Override
        public ChatResponse response() {
            delegate.close();
            throw new ModelBusyException("llama.cpp found no room in the KV cache for this prompt",
                    new IllegalStateException("native"));
        }

        @Override
        public void close() {
            delegate.close();
        }
    }
}
