package dev.locallm.llamacpp;

import dev.locallm.ChatModel;
import dev.locallm.LocalLm;
import dev.locallm.testkit.ChatModelContract;
import dev.locallm.testkit.StructuredOutputContract;
import dev.locallm.testkit.ToolCallingContract;
import dev.locallm.testkit.TestModels;
import org.junit.jupiter.api.Nested;

/**
 * The contract suites on the real stories260K model: chat with and without a chat template in its metadata,
 * structured output and tool calling.
 */
class LlamaCppChatModelContractTest {

    static ChatModel open(String file) {
        return LocalLm.builder()
                .model(TestModels.require(file).toString())
                .backendOptions(LlamaCppOptions.builder().threads(1).parallel(4).contextSize(512).build())
                .buildChatModel();
    }

    @Nested
    class WithChatTemplate extends ChatModelContract {
        @Override
        protected ChatModel openModel() {
            return open(TestModels.STORIES_CHATML);
        }
    }

    static ChatModel openLargeContext() {
        return LocalLm.builder()
                .model(TestModels.require(TestModels.STORIES_CHATML).toString())
                .backendOptions(LlamaCppOptions.builder().threads(1).parallel(2).contextSize(2048).build())
                .buildChatModel();
    }

    @Nested
    class StructuredOutput extends StructuredOutputContract {
        @Override
        protected ChatModel openModel() {
            return openLargeContext();
        }
    }

    @Nested
    class ToolCalling extends ToolCallingContract {
        @Override
        protected ChatModel openModel() {
            return openLargeContext();
        }
    }

    @Nested
    class WithoutChatTemplate extends ChatModelContract {
        @Override
        protected ChatModel openModel() {
            return open(TestModels.STORIES);
        }
    }
}
