package dev.locallm.spring.boot;

import dev.locallm.ChatModel;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.context.annotation.Bean;

/**
 * Micrometer metrics for every bean declared as a LocaLLM {@link ChatModel}, the application's own included, when
 * the application has a {@link MeterRegistry}: {@code locallm.requests} (a timer by {@code outcome}: success,
 * error, cancelled), {@code locallm.tokens} (by {@code kind}: prompt, completion),
 * {@code locallm.time.to.first.token}, {@code locallm.decode.tokens.per.second},
 * {@code locallm.active.generations} and {@code locallm.queue.depth}, each tagged with the {@code model}'s name
 * and the {@code bean}'s. A bean declared as a class of its own is left as it is, so that it keeps its type.
 */
@AutoConfiguration
@ConditionalOnClass(MeterRegistry.class)
public class LocalLmMetricsAutoConfiguration {

    /** Wraps each chat model bean in one that records its generations. */
    @Bean
    static BeanPostProcessor localLmChatModelMetrics(ObjectProvider<MeterRegistry> registry,
            ConfigurableListableBeanFactory beans) {
        return new BeanPostProcessor() {
            @Override
            public Object postProcessAfterInitialization(Object bean, String beanName) {
                if (bean instanceof ChatModel model && !(bean instanceof MeteredChatModel)
                        && declaredAsChatModel(beans, beanName)) {
                    MeterRegistry meters = registry.getIfAvailable();
                    return meters == null ? bean : new MeteredChatModel(model, beanName, meters);
                }
                return bean;
            }
        };
    }

    private static boolean declaredAsChatModel(ConfigurableListableBeanFactory beans, String beanName) {
        return beans.containsBeanDefinition(beanName)
                && beans.getMergedBeanDefinition(beanName).getResolvableType().resolve() == ChatModel.class;
    }
}
