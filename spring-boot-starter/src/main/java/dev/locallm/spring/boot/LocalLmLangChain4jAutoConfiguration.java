package dev.locallm.spring.boot;

import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.locallm.ChatModel;
import dev.locallm.EmbeddingModel;
import dev.locallm.langchain4j.LocalLmChatModel;
import dev.locallm.langchain4j.LocalLmEmbeddingModel;
import dev.locallm.langchain4j.LocalLmStreamingChatModel;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.context.annotation.Bean;

/**
 * LangChain4j's {@code ChatModel}, {@code StreamingChatModel} and {@code EmbeddingModel} beans over the LocaLLM
 * models, when {@code locallm-langchain4j} is on the classpath and the application defines none of its own; the
 * application's {@link ChatModelListener} beans are told of each request.
 */
@AutoConfiguration(after = {LocalLmAutoConfiguration.class, LocalLmMetricsAutoConfiguration.class})
@ConditionalOnClass({dev.langchain4j.model.chat.ChatModel.class, LocalLmChatModel.class})
public class LocalLmLangChain4jAutoConfiguration {

    /** LangChain4j's blocking chat model over the LocaLLM one. */
    @Bean
    @ConditionalOnSingleCandidate(ChatModel.class)
    @ConditionalOnMissingBean(dev.langchain4j.model.chat.ChatModel.class)
    public LocalLmChatModel localLmLangChain4jChatModel(ChatModel model, ObjectProvider<ChatModelListener> listeners) {
        return LocalLmChatModel.builder().chatModel(model).listeners(listeners.orderedStream().toList()).build();
    }

    /** LangChain4j's streaming chat model over the LocaLLM one. */
    @Bean
    @ConditionalOnSingleCandidate(ChatModel.class)
    @ConditionalOnMissingBean(dev.langchain4j.model.chat.StreamingChatModel.class)
    public LocalLmStreamingChatModel localLmLangChain4jStreamingChatModel(ChatModel model,
            ObjectProvider<ChatModelListener> listeners) {
        return LocalLmStreamingChatModel.builder().chatModel(model).listeners(listeners.orderedStream().toList())
                .build();
    }

    /** LangChain4j's embedding model over the LocaLLM one. */
    @Bean
    @ConditionalOnSingleCandidate(EmbeddingModel.class)
    @ConditionalOnMissingBean(dev.langchain4j.model.embedding.EmbeddingModel.class)
    public LocalLmEmbeddingModel localLmLangChain4jEmbeddingModel(EmbeddingModel model) {
        return LocalLmEmbeddingModel.builder().embeddingModel(model).build();
    }
}
