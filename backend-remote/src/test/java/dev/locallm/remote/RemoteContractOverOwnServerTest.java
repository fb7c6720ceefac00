package dev.locallm.remote;

import static org.assertj.core.api.Assertions.assertThat;

import dev.locallm.ChatModel;
import dev.locallm.EmbeddingModel;
import dev.locallm.LocalLm;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.GenerationOptions;
import dev.locallm.testkit.ChatModelContract;
import dev.locallm.testkit.StructuredOutputContract;
import dev.locallm.testkit.ToolCallingContract;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The remote backend passes the full contract suite end to end: through LocaLLM's own OpenAI-compatible server,
 * serving a real model, over loopback HTTP. Switching {@code gguf:} to {@code openai:} changes nothing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RemoteContractOverOwnServerTest {
    private final OwnServer own = new OwnServer();

    @AfterAll
    void stop() {
        own.close();
    }

    @Nested
    class Chat extends ChatModelContract {
        @Override
        protected ChatModel openModel() {
            return LocalLm.chatModel(own.chatUri(""));
        }

        @Test
        void detectsTheDialectAndTheContextFromTheServer() {
            assertThat(model.capabilities().backend()).isEqualTo("remote (locallm)");
            assertThat(model.capabilities().contextLength()).isEqualTo(own.chat.capabilities().contextLength());
            assertThat(model.capabilities().modelName()).isEqualTo("stories");
        }

        @Test
        void rawCompletionMatchesTheInProcessModel() {
            GenerationOptions greedy = GenerationOptions.of(o -> o.temperature(0).seed(3).maxTokens(20));
            assertThat(model.complete("Once upon a time", greedy).text())
                    .isEqualTo(own.chat.complete("Once upon a time", greedy).text());
        }

        @Test
        void sameTextAsTheInProcessModel() {
            ChatRequest request = greedy(PROMPT, 24);
            assertThat(model.chat(request).text()).isEqualTo(own.chat.chat(request).text());
        }
    }

    @Nested
    class Structured extends StructuredOutputContract {
        @Override
        protected ChatModel openModel() {
            return LocalLm.chatModel(own.chatUri(""));
        }
    }

    @Nested
    class Tools extends ToolCallingContract {
        @Override
        protected ChatModel openModel() {
            return LocalLm.chatModel(own.chatUri(""));
        }
    }

    @Test
    void embeddingsMatchTheInProcessModel() {
        try (EmbeddingModel remote = LocalLm.embeddingModel("openai:" + own.server.baseUrl() + "?model=stories-embed")) {
            assertThat(remote.dimension()).isEqualTo(own.embeddings.dimension());
            assertThat(remote.embed("a cat")).containsExactly(own.embeddings.embed("a cat"));
        }
    }
}
