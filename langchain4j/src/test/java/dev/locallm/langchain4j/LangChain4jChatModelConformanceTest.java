package dev.locallm.langchain4j;

import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.common.AbstractChatModelIT;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.locallm.LocalLm;
import dev.locallm.testkit.TestModels;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * LangChain4j's own conformance suite for chat models ({@code AbstractChatModelIT} from {@code langchain4j-core}'s
 * test jar), over stories260K: what LocaLLM declares unsupported must fail as LangChain4j expects, and the parameter
 * checks must hold; the tests that need a knowing model are disabled by {@link NeedsKnowledge}.
 */
@ExtendWith(NeedsKnowledge.class)
class LangChain4jChatModelConformanceTest extends AbstractChatModelIT {
    private static final dev.locallm.ChatModel CHAT = LocalLm.chatModel("gguf:"
            + TestModels.require(TestModels.STORIES_CHATML) + "?threads=1&ctx=2048&parallel=2");

    @AfterAll
    static void close() {
        CHAT.close();
    }

    @Override
    protected List<ChatModel> models() {
        return List.of(LocalLmChatModel.builder().chatModel(CHAT).build());
    }

    @Override
    protected ChatModel createModelWith(ChatRequestParameters parameters) {
        return LocalLmChatModel.builder().chatModel(CHAT).defaultRequestParameters(parameters).build();
    }

    @Override
    protected boolean supportsModelNameParameter() {
        return false;
    }

    @Override
    protected boolean supportsSingleImageInputAsBase64EncodedString() {
        return false;
    }

    @Override
    protected boolean supportsMultipleImageInputsAsBase64EncodedStrings() {
        return false;
    }

    @Override
    protected boolean supportsSingleImageInputAsPublicURL() {
        return false;
    }

    @Override
    protected boolean supportsMultipleImageInputsAsPublicURLs() {
        return false;
    }
}
