package dev.locallm.spring.boot;

import dev.locallm.ChatModel;
import dev.locallm.EmbeddingModel;
import dev.locallm.server.LocalLmServer;
import dev.locallm.spi.ModelLocation;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.Bean;
import org.springframework.context.event.ContextClosedEvent;

/**
 * LocaLLM's OpenAI-compatible server inside the application, when {@code locallm.server.enabled=true}, on
 * {@code locallm.server.host} and {@code locallm.server.port}, behind {@code locallm.server.api-key} when set. It
 * serves every LocaLLM chat model bean under its model's name, the embedding model of
 * {@code locallm.embedding-model.uri} under its file name, and other embedding model beans under their bean names.
 * Started with the context; stopped, draining running requests, before the models close.
 */
@AutoConfiguration(after = {LocalLmAutoConfiguration.class, LocalLmMetricsAutoConfiguration.class})
@ConditionalOnClass(LocalLmServer.class)
@ConditionalOnBooleanProperty("locallm.server.enabled")
public class LocalLmServerAutoConfiguration {

    /** The started server. */
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    public LocalLmServer localLmServer(LocalLmProperties properties, ObjectProvider<ChatModel> chatModels,
            ListableBeanFactory beans) {
        LocalLmProperties.Server server = properties.server();
        LocalLmServer.Builder b = LocalLmServer.builder().host(server.host()).port(server.port());
        if (server.apiKey() != null && !server.apiKey().isBlank()) {
            b.apiKey(server.apiKey());
        }
        chatModels.orderedStream().forEach(m -> b.chatModel(m.capabilities().modelName(), m));
        beans.getBeansOfType(EmbeddingModel.class).forEach((name, m) -> b.embeddingModel(
                name.equals("localLmEmbeddingModel") ? ModelLocation.parse(properties.embeddingModel().uri()).name()
                        : name, m));
        return b.build().start();
    }

    /**
     * Stops the server as the context starts closing, so that requests still running finish before any model
     * closes (the server's own destroy method then finds it stopped).
     */
    @Bean
    public ApplicationListener<ContextClosedEvent> localLmServerShutdown(LocalLmServer server) {
        return event -> server.close();
    }
}
