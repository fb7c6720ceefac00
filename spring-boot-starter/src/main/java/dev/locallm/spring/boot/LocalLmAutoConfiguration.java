package dev.locallm.spring.boot;

import dev.locallm.ChatModel;
import dev.locallm.EmbeddingModel;
import dev.locallm.LocalLm;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Loads LocaLLM's chat and embedding models from {@code locallm.chat-model.uri} and
 * {@code locallm.embedding-model.uri} as {@link ChatModel} and {@link EmbeddingModel} beans, unless the application
 * defines its own; each is closed with the application context.
 */
@AutoConfiguration
@EnableConfigurationProperties(LocalLmProperties.class)
public class LocalLmAutoConfiguration {
    private static final Logger LOG = LoggerFactory.getLogger(LocalLmAutoConfiguration.class);

    /** The chat model at {@code locallm.chat-model.uri}, with its options and generation defaults. */
    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnProperty(prefix = "locallm.chat-model", name = "uri")
    public ChatModel localLmChatModel(LocalLmProperties properties) {
        LocalLmProperties.ChatModel chat = properties.chatModel();
        LOG.info("Loading the LocaLLM chat model {}", chat.location());
        return LocalLm.builder().model(chat.location()).defaultOptions(chat.defaults().toOptions()).buildChatModel();
    }

    /** The embedding model at {@code locallm.embedding-model.uri}. */
    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnProperty(prefix = "locallm.embedding-model", name = "uri")
    public EmbeddingModel localLmEmbeddingModel(LocalLmProperties properties) {
        LOG.info("Loading the LocaLLM embedding model {}", properties.embeddingModel().location());
        return LocalLm.builder().model(properties.embeddingModel().location()).buildEmbeddingModel();
    }

    /** Refuses {@code locallm.server.enabled=true} without the server on the classpath, instead of ignoring it. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnBooleanProperty("locallm.server.enabled")
    @ConditionalOnMissingClass("dev.locallm.server.LocalLmServer")
    static class ServerMissing {
        ServerMissing() {
            throw new IllegalStateException("locallm.server.enabled=true needs the OpenAI-compatible server on the "
                    + "classpath: add the dependency dev.locallm:locallm-server");
        }
    }
}
