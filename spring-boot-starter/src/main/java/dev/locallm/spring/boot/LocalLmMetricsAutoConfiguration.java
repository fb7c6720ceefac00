package dev.locallm.spring.boot;

import dev.locallm.ChatModel;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.context.annotation.Bean;

/**
 * Micrometer metrics for every LocaLLM {@link ChatModel} bean, the application's own included, when the
 * application has a {@link MeterRegistry}: {@code locallm.requests} (a timer by {@code outcome}),
 * {@code locallm.tokens} (by {@code kind}: prompt, completion), {@code locallm.time.to.first.token},
 * {@code locallm.decode.tokens.per.second}, {@code locallm.active.generations} and {@code locallm.queue.depth},
 * each tagged with the {@code model}'s name.
 */
@AutoConfiguration
@ConditionalOnClass(MeterRegistry.class)
public class LocalLmMetricsAutoConfiguration {

    /** Wraps each chat model bean in one that records its generations. */
    @Bean
    static BeanPostProcessor localLmChatModelMetrics(ObjectProvider<MeterRegistry> registry) {
        return new BeanPostProcessor() {
            @Override
            public Object postProcessAfterInitialization(Object bean, String beanName) {
                if (bean instanceof ChatModel model && !(bean instanceof MeteredChatModel)) {
                    MeterRegistry meters = registry.getIfAvailable();
                    return meters == null ? bean : new MeteredChatModel(model, meters);
                }
                return bean;
            }
        };
    }
}
