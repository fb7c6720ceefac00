package dev.locallm.remote;

import static org.assertj.core.api.Assertions.assertThat;

import dev.locallm.ChatModel;
import dev.locallm.LocalLm;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.ChatResponse;
import dev.locallm.error.StreamInterruptedException;
import dev.locallm.testkit.TestModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * One chat model spread over two real llama-servers (the first two configured binaries, with {@code --jinja};
 * opt-in like {@link RealLlamaServerIT}), one of them killed with SIGKILL mid-run and started again on its port.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class RealLlamaServerPoolIT {
    private static final int REQUESTS = 40;

    @Test
    void aKilledServerCostsNoRequestAndIsUsedAgainOnceItIsBack() throws Exception {
        List<RealLlamaServer.Binary> binaries = RealLlamaServer.configured().stream()
                .filter(RealLlamaServer.Binary::jinja).toList();
        RealLlamaServer.Binary first = binaries.get(0);
        RealLlamaServer.Binary second = binaries.get(binaries.size() > 1 ? 1 : 0);
        Path model = TestModels.require(TestModels.STORIES_CHATML);
        RealLlamaServer a = RealLlamaServer.start(first, model, 0, "pool-a-" + first.name());
        RealLlamaServer[] b = {RealLlamaServer.start(second, model, 0, "pool-b-" + second.name())};
        int portB = b[0].port();
        ExecutorService clients = Executors.newFixedThreadPool(4);
        try (ChatModel pool = LocalLm.chatModel("openai:" + a.baseUrl() + "," + b[0].baseUrl() + "?model="
                + TestModels.STORIES_CHATML + "&parallel=2")) {
            AtomicInteger finished = new AtomicInteger();
            AtomicInteger resent = new AtomicInteger();
            AtomicLong tasksOfB = new AtomicLong(-1);
            List<Future<ChatResponse>> answers = new ArrayList<>();
            for (int i = 0; i < REQUESTS; i++) {
                ChatRequest request = ChatRequest.builder().user("Tell story " + i)
                        .options(o -> o.maxTokens(48).temperature(0.0)).build();
                answers.add(clients.submit(() -> {
                    for (int attempt = 1; ; attempt++) {
                        try {
                            ChatResponse r = pool.chat(request);
                            if (finished.incrementAndGet() == 8) {
                                synchronized (tasksOfB) {
                                    tasksOfB.set(b[0].tasksStarted());
                                    b[0].kill();
                                }
                            }
                            return r;
                        } catch (StreamInterruptedException e) {
                            if (attempt == 3) {
                                throw e;
                            }
                            resent.incrementAndGet();
                        }
                    }
                }));
            }
            for (Future<ChatResponse> answer : answers) {
                assertThat(answer.get().usage().completionTokens()).isBetween(1, 48);
            }
            assertThat(tasksOfB.get()).as("generations the second server started before it was killed").isPositive();
            assertThat(a.tasksStarted()).as("the first server took the rest").isGreaterThanOrEqualTo(REQUESTS - 8);

            b[0] = RealLlamaServer.start(second, model, portB, "pool-b-again-" + second.name());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (b[0].tasksStarted() == 0 && System.nanoTime() < deadline) {
                pool.chat(ChatRequest.builder().user("Again").options(o -> o.maxTokens(4)).build());
            }
            assertThat(b[0].tasksStarted()).as("generations on the second server once it was back").isPositive();
            System.out.printf("pool over %s and %s: %d requests, %d sent again after the kill, %d started on the "
                    + "killed server before it died%n", first, second, REQUESTS, resent.get(), tasksOfB.get());
        } finally {
            clients.shutdownNow();
            a.close();
            b[0].close();
        }
    }
}
