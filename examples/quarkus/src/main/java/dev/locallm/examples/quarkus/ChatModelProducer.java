package dev.locallm.examples.quarkus;

import dev.locallm.ChatModel;
import dev.locallm.LocalLm;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Makes the application's one {@link ChatModel} a CDI bean: loaded at start-up from {@code locallm.chat-model.uri}
 * (so a wrong URI fails the start, not the first request), shared by every injection point (the model is
 * thread-safe), and closed when the application stops.
 *
 * <pre>
 * locallm.chat-model.uri=gguf:/models/qwen2.5-0.5b-instruct-q4_k_m.gguf?parallel=2
 * locallm.chat-model.max-tokens=256
 * </pre>
 */
@ApplicationScoped
public class ChatModelProducer {

    @ConfigProperty(name = "locallm.chat-model.uri")
    String uri;

    @ConfigProperty(name = "locallm.chat-model.max-tokens", defaultValue = "256")
    int maxTokens;

    @Produces
    @Singleton
    @Startup
    ChatModel chatModel() {
        return LocalLm.builder().model(uri).defaultOptions(o -> o.maxTokens(maxTokens)).buildChatModel();
    }

    void close(@Disposes ChatModel model) {
        model.close();
    }
}
