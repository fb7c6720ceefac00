package dev.locallm.spring.boot;

import dev.locallm.ChatModel;
import dev.locallm.EmbeddingModel;
import dev.locallm.server.LocalLmServer;
import dev.locallm.spi.ModelLocation;
import java.util.HashMap;
import java.util.Map;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;

/**
 * LocaLLM's OpenAI-compatible server inside the application, when {@code locallm.server.enabled=true}, on
 * {@code locallm.server.host} and {@code locallm.server.port}, behind {@code locallm.server.api-key} when set. It
 * serves every LocaLLM chat model bean under its model's name, the embedding model of
 * {@code locallm.embedding-model.uri} under its file name, and other embedding model beans under their bean names;
 * two models under one name fail the start. It listens once the context is refreshed and stops, draining running
 * requests, when the context stops, before any model closes.
 */
@AutoConfiguration(after = {LocalLmAutoConfiguration.class, LocalLmMetricsAutoConfiguration.class})
@ConditionalOnClass(LocalLmServer.class)
@ConditionalOnBooleanProperty("locallm.server.enabled")
public class LocalLmServerAutoConfiguration {

    /** The server, not listening yet. */
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    public LocalLmServer localLmServer(LocalLmProperties properties, ListableBeanFactory beans) {
        LocalLmProperties.Server server = properties.server();
        LocalLmServer.Builder b = LocalLmServer.builder().host(server.host()).port(server.port());
        if (server.apiKey() != null && !server.apiKey().isBlank()) {
            b.apiKey(server.apiKey());
        }
        Map<String, String> chatNames = new HashMap<>();
        beans.getBeansOfType(ChatModel.class).forEach((bean, m) -> b.chatModel(unique(chatNames,
                m.capabilities().modelName(), bean, "chat"), m));
        Map<String, String> embeddingNames = new HashMap<>();
        beans.getBeansOfType(EmbeddingModel.class).forEach((bean, m) -> b.embeddingModel(unique(embeddingNames,
                bean.equals("localLmEmbeddingModel") ? ModelLocation.parse(properties.embeddingModel().uri()).name()
                        : bean, bean, "embedding"), m));
        return b.build();
    }

    private static String unique(Map<String, String> taken, String name, String bean, String kind) {
        String other = taken.putIfAbsent(name, bean);
        if (other != null) {
            throw new IllegalStateException("The LocaLLM server would serve the " + kind + " model beans '" + other
                    + "' and '" + bean + "' under one name, '" + name + "': define one of them yourself with its own "
                    + "model, or serve them with LocalLmServer.builder() under names you choose");
        }
        return name;
    }

    /** Starts the server when the context is refreshed, stops it when the context stops. */
    @Bean
    public SmartLifecycle localLmServerLifecycle(LocalLmServer server) {
        return new SmartLifecycle() {
            private volatile boolean running;

            @Override
            public void start() {
                server.start();
                running = true;
            }

            @Override
            public void stop() {
                running = false;
                server.close();
            }

            @Override
            public boolean isRunning() {
                return running;
            }
        };
    }
}
