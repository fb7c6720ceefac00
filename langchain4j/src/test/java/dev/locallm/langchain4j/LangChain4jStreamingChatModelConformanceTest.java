package dev.locallm.langchain4j;

import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.common.AbstractStreamingChatModelIT;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.locallm.LocalLm;
import dev.locallm.testkit.TestModels;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * LangChain4j's conformance suite for streaming chat models ({@code AbstractStreamingChatModelIT}) over stories260K:
 * cancellation, exceptions thrown by the application's callbacks, the order of events, and what
 * {@link LangChain4jChatModelConformanceTest} checks; the tests that need a knowing model are disabled by
 * {@link NeedsKnowledge}.
 */
@ExtendWith(NeedsKnowledge.class)
class LangChain4jStreamingChatModelConformanceTest extends AbstractStreamingChatModelIT {
    private static final dev.locallm.ChatModel CHAT = LocalLm.chatModel("gguf:"
            + TestModels.require(TestModels.STORIES_CHATML) + "?threads=1&ctx=2048&parallel=2");

    @AfterAll
    static void close() {
        CHAT.close();
    }

    @Override
    protected List<StreamingChatModel> models() {
        return List.of(LocalLmStreamingChatModel.builder().chatModel(CHAT).build());
    }

    @Override
    protected StreamingChatModel createModelWith(ChatRequestParameters parameters) {
        return LocalLmStreamingChatModel.builder().chatModel(CHAT).defaultRequestParameters(parameters).build();
    }

    @Override
    public StreamingChatModel createModelWith(ChatModelListener listener) {
        return LocalLmStreamingChatModel.builder().chatModel(CHAT).listeners(List.of(listener)).build();
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
