package dev.locallm.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.locallm.ChatModel;
import dev.locallm.LocalLm;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.ChatResponse;
import dev.locallm.error.InvalidRequestException;
import dev.locallm.error.ModelLoadException;
import dev.locallm.server.LocalLmServer;
import dev.locallm.testkit.TestModels;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A chat model spread over two of LocaLLM's own servers on loopback ports, each serving the real stories260K model,
 * told apart by their request counts. Each server's queue is as long as its slots: a server frees its admission a
 * moment after the client has read the end of an answer, so the pool's next request may come before; more than
 * twice a server's slots at once gets 503.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ServerPoolTest {
    private static ChatModel twoSlots;
    private static ChatModel oneSlot;
    private static LocalLmServer a;
    private static LocalLmServer b;

    @BeforeAll
    static void start() {
        String model = TestModels.require(TestModels.STORIES_CHATML).toString();
        twoSlots = LocalLm.chatModel("gguf:" + model + "?threads=1&ctx=1024&parallel=2");
        oneSlot = LocalLm.chatModel("gguf:" + model + "?threads=1&ctx=1024&parallel=1");
        a = LocalLmServer.builder().chatModel("stories", twoSlots).port(0).queueSize(2).build().start();
        b = LocalLmServer.builder().chatModel("stories", oneSlot).port(0).queueSize(1).build().start();
    }

    @AfterAll
    static void stop() {
        a.close();
        b.close();
        twoSlots.close();
        oneSlot.close();
    }

    /** Chat completions a server answered with this status, from its {@code /metrics}. */
    static long answered(LocalLmServer server, int status) throws Exception {
        String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(server.baseUrl()
                .replaceFirst("/v1$", "") + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        Matcher m = Pattern.compile("(?m)^locallm_requests_total\\{[^}]*endpoint=\"/v1/chat/completions\",status=\""
                + status + "\"[^}]*} ([0-9.]+)").matcher(metrics);
        return m.find() ? (long) Double.parseDouble(m.group(1)) : 0;
    }

    @Test
    void requestsAreSpreadOverTheServersEachUpToItsOwnSlots() throws Exception {
        long beforeA = answered(a, 200);
        long beforeB = answered(b, 200);
        try (ChatModel pool = LocalLm.chatModel("openai:" + a.baseUrl() + "," + b.baseUrl()
                + "?model=stories&parallel=2,1")) {
            assertThat(pool.capabilities().parallelRequests()).isEqualTo(3);
            assertThat(pool.capabilities().modelName()).isEqualTo("stories");
            ExecutorService clients = Executors.newFixedThreadPool(9);
            List<Future<ChatResponse>> answers = new ArrayList<>();
            for (int i = 0; i < 18; i++) {
                ChatRequest request = ChatRequest.builder().user("Tell story " + i)
                        .options(o -> o.maxTokens(32).temperature(0.0)).build();
                answers.add(clients.submit(() -> pool.chat(request)));
            }
            for (Future<ChatResponse> answer : answers) {
                assertThat(answer.get().usage().completionTokens()).isBetween(1, 32);
            }
            clients.shutdown();
        }
        long servedA = answered(a, 200) - beforeA;
        long servedB = answered(b, 200) - beforeB;
        assertThat(servedA + servedB).isEqualTo(18);
        assertThat(servedA).as("the server with two slots").isPositive();
        assertThat(servedB).as("the server with one slot").isPositive();
        assertThat(answered(a, 503) + answered(b, 503)).as("requests beyond a server's slots").isZero();
    }

    @Test
    void aServerDownWhenThePoolOpensIsLeftOutAndTheOthersAnswer() throws Exception {
        int closed;
        try (ServerSocket free = new ServerSocket(0)) {
            closed = free.getLocalPort();
        }
        long before = answered(a, 200);
        try (ChatModel pool = LocalLm.chatModel("openai:http://127.0.0.1:" + closed + "/v1," + a.baseUrl()
                + "?model=stories&parallel=1")) {
            for (int i = 0; i < 3; i++) {
                assertThat(pool.chat(ChatRequest.builder().user("Hi " + i).options(o -> o.maxTokens(8)).build())
                        .text()).isNotEmpty();
            }
        }
        assertThat(answered(a, 200) - before).isEqualTo(3);
    }

    @Test
    void aPoolOfServersThatAreAllDownOrMisconfiguredIsAClearError() throws Exception {
        int closed;
        try (ServerSocket free = new ServerSocket(0)) {
            closed = free.getLocalPort();
        }
        String down = "http://127.0.0.1:" + closed + "/v1";
        assertThatThrownBy(() -> LocalLm.chatModel("openai:" + down + "," + down + "?model=m&dialect=openai"))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageStartingWith("None of the servers can be reached: " + down + ": ");
        assertThatThrownBy(() -> LocalLm.chatModel("openai:" + a.baseUrl() + "," + b.baseUrl()
                + "?model=stories&parallel=1,2,3"))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("'parallel' lists 3 values for 2 servers");
        assertThatThrownBy(() -> LocalLm.embeddingModel("openai:" + a.baseUrl() + "," + b.baseUrl()))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("Embeddings are computed on one server");
    }

}
