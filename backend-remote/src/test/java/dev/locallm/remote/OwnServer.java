package dev.locallm.remote;

import dev.locallm.ChatModel;
import dev.locallm.EmbeddingModel;
import dev.locallm.LocalLm;
import dev.locallm.server.LocalLmServer;
import dev.locallm.testkit.TestModels;

/**
 * LocaLLM's own OpenAI-compatible server on a loopback port, serving the real stories260K chat model (ChatML,
 * 2 slots, 2048 tokens) as {@code stories} and its embeddings as {@code stories-embed}.
 */
final class OwnServer implements AutoCloseable {
    final ChatModel chat;
    final EmbeddingModel embeddings;
    final LocalLmServer server;

    OwnServer() {
        String model = TestModels.require(TestModels.STORIES_CHATML).toString();
        chat = LocalLm.chatModel("gguf:" + model + "?threads=1&ctx=2048&parallel=2");
        embeddings = LocalLm.embeddingModel("gguf:" + model + "?threads=1");
        server = LocalLmServer.builder().chatModel("stories", chat).embeddingModel("stories-embed", embeddings)
                .port(0).build().start();
    }

    /** The remote-backend URI of the chat model. */
    String chatUri(String parameters) {
        return "openai:" + server.baseUrl() + "?model=stories" + (parameters.isEmpty() ? "" : "&" + parameters);
    }

    @Override
    public void close() {
        server.close();
        chat.close();
        embeddings.close();
    }
}
