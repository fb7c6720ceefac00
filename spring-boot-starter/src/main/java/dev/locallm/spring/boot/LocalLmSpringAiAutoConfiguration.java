package dev.locallm.spring.boot;

import dev.locallm.ChatModel;
import dev.locallm.EmbeddingModel;
import dev.locallm.springai.LocalLmSpringAiChatModel;
import dev.locallm.springai.LocalLmSpringAiEmbeddingModel;
import io.micrometer.observation.ObservationRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.context.annotation.Bean;

/**
 * A Spring AI {@code ChatModel} bean over the LocaLLM chat model (and an {@code EmbeddingModel} over the LocaLLM
 * embedding model), when {@code locallm-spring-ai} is on the
 * classpath and the application defines no Spring AI chat model of its own. {@code ChatClient.create(chatModel)}
 * then runs on it, tools and native structured output included; its calls are observed in the application's
 * {@code ObservationRegistry} (Actuator's {@code gen_ai.client.operation} metrics and traces), as Spring AI's own
 * models are.
 */
@AutoConfiguration(after = {LocalLmAutoConfiguration.class, LocalLmMetricsAutoConfiguration.class})
@ConditionalOnClass({org.springframework.ai.chat.model.ChatModel.class, LocalLmSpringAiChatModel.class})
public class LocalLmSpringAiAutoConfiguration {

    /** Spring AI's chat model over the LocaLLM one. */
    @Bean
    @ConditionalOnSingleCandidate(ChatModel.class)
    @ConditionalOnMissingBean(org.springframework.ai.chat.model.ChatModel.class)
    public LocalLmSpringAiChatModel localLmSpringAiChatModel(ChatModel model,
            ObjectProvider<ObservationRegistry> observations) {
        return LocalLmSpringAiChatModel.builder().chatModel(model)
                .observationRegistry(observations.getIfUnique(() -> ObservationRegistry.NOOP)).build();
    }

    /** Spring AI's embedding model over the LocaLLM one, for its vector stores. */
    @Bean
    @ConditionalOnSingleCandidate(EmbeddingModel.class)
    @ConditionalOnMissingBean(org.springframework.ai.embedding.EmbeddingModel.class)
    public LocalLmSpringAiEmbeddingModel localLmSpringAiEmbeddingModel(EmbeddingModel model) {
        return LocalLmSpringAiEmbeddingModel.wrapping(model);
    }
}
