package dev.locallm.server;

import dev.locallm.ChatModel;
import dev.locallm.EmbeddingModel;
import dev.locallm.LocalLm;
import dev.locallm.testkit.TestModels;
import java.nio.file.Path;
import java.util.function.UnaryOperator;

/**
 * A server with the real stories260K chat model (ChatML template, 2 slots) under the name {@code stories}, and
 * the same GGUF as embedding model {@code stories-embed}, on an ephemeral loopback port. Close it after use.
 */
final class ServingFixture implements AutoCloseable {
    static final String CHAT = "stories";
    static final String EMBED = "stories-embed";
    static final String KEY = "test-key-0123456789";

    final ChatModel chatModel;
    final EmbeddingModel embeddingModel;
    final LocalLmServer server;

    private ServingFixture(LocalLmServer.Builder builder, UnaryOperator<ChatModel> served) {
        Path model = TestModels.require(TestModels.STORIES_CHATML);
        chatModel = LocalLm.chatModel("gguf:" + model + "?threads=1&ctx=2048&parallel=2");
        embeddingModel = LocalLm.embeddingModel("gguf:" + model + "?threads=1");
        server = builder.chatModel(CHAT, served.apply(chatModel)).embeddingModel(EMBED, embeddingModel)
                .host("127.0.0.1").port(0).build().start();
    }

    /** A server that needs {@link #KEY}. */
    static ServingFixture start() {
        return new ServingFixture(LocalLmServer.builder().apiKey(KEY), UnaryOperator.identity());
    }

    static ServingFixture start(LocalLmServer.Builder builder) {
        return new ServingFixture(builder, UnaryOperator.identity());
    }

    /** A server whose chat model is the real one wrapped by {@code served} (to pace it, for instance). */
    static ServingFixture start(LocalLmServer.Builder builder, UnaryOperator<ChatModel> served) {
        return new ServingFixture(builder, served);
    }

    String baseUrl() {
        return server.baseUrl();
    }

    @Override
    public void close() {
        server.close();
        chatModel.close();
        embeddingModel.close();
    }
}
