package dev.locallm.llamacpp;

import dev.locallm.ChatModel;
import dev.locallm.LocalLm;
import dev.locallm.testkit.ChatModelContract;
import dev.locallm.testkit.TestModels;
import org.junit.jupiter.api.Nested;

/** The contract suite on the real stories260K model, with and without a chat template in its metadata. */
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

    @Nested
    class WithoutChatTemplate extends ChatModelContract {
        @Override
        protected ChatModel openModel() {
            return open(TestModels.STORIES);
        }
    }
}
