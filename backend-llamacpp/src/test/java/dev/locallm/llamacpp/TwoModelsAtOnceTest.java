package dev.locallm.llamacpp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.locallm.ChatModel;
import dev.locallm.EmbeddingModel;
import dev.locallm.LocalLm;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.ChatResponse;
import dev.locallm.chat.FinishReason;
import dev.locallm.error.TruncatedOutputException;
import dev.locallm.schema.JsonSchema;
import dev.locallm.testkit.TestModels;
import dev.locallm.tool.ToolChoice;
import dev.locallm.tool.ToolSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A chat model and an embedding model of one process at work together, as {@code locallm serve --embedding-model}
 * runs them. On the binding's stock library this aborted the JVM within seconds (forced tool calls beside
 * embeddings: "Unexpected empty grammar stack after accepting piece: #" in llama.cpp's grammar sampler) until
 * {@link ModelExclusion} kept the two models' native work apart; with LocaLLM's builds they run side by side.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TwoModelsAtOnceTest {
    private static final ToolSpec WEATHER = ToolSpec.of("get_weather", "", JsonSchema.parse(
            "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}"));

    @Test
    void forcedToolCallsBesideEmbeddingsKeepTheProcessAliveAndTheCallsValid() throws Exception {
        String file = TestModels.require(TestModels.STORIES_CHATML).toString();
        try (ChatModel chat = LocalLm.builder().model(file)
                .backendOptions(LlamaCppOptions.builder().threads(1).parallel(2).contextSize(512).build())
                .buildChatModel();
             EmbeddingModel embeddings = LocalLm.embeddingModel(file)) {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(12);
            AtomicInteger calls = new AtomicInteger();
            AtomicInteger vectors = new AtomicInteger();
            List<CompletableFuture<Void>> workers = new ArrayList<>();
            for (int w = 0; w < 2; w++) {
                workers.add(CompletableFuture.runAsync(() -> {
                    while (System.nanoTime() < end) {
                        ChatResponse r;
                        try {
                            r = chat.chat(ChatRequest.builder().user("Tell me a story").tools(WEATHER)
                                    .toolChoice(ToolChoice.REQUIRED).options(o -> o.maxTokens(128)).build());
                        } catch (TruncatedOutputException cutShort) {
                            continue;
                        }
                        assertThat(r.finishReason()).isEqualTo(FinishReason.TOOL_CALLS);
                        assertThat(r.toolCalls()).allSatisfy(c -> assertThat(WEATHER.parameters()
                                .validate(c.arguments())).isEmpty());
                        calls.incrementAndGet();
                    }
                }));
            }
            workers.add(CompletableFuture.runAsync(() -> {
                while (System.nanoTime() < end) {
                    assertThat(embeddings.embedAll(List.of("a cat", "a dog on a mat"))).hasSize(2);
                    vectors.incrementAndGet();
                }
            }));
            CompletableFuture.allOf(workers.toArray(CompletableFuture[]::new)).get(100, TimeUnit.SECONDS);

            assertThat(calls.get()).as("tool calls made").isGreaterThan(10);
            assertThat(vectors.get()).as("embedding batches made").isGreaterThan(10);
        }
    }
}
