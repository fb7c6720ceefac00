package dev.locallm.spring.boot;

import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * The health indicator {@code locallm} (Actuator's {@code /actuator/health/locallm}) over the application's LocaLLM
 * models, when Spring Boot's health support is on the classpath; {@code management.health.locallm.enabled=false}
 * turns it off.
 */
@AutoConfiguration(after = LocalLmAutoConfiguration.class)
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnEnabledHealthIndicator("locallm")
public class LocalLmHealthAutoConfiguration {

    /** The indicator. */
    @Bean
    public HealthIndicator locallmHealthIndicator(ConfigurableListableBeanFactory beans) {
        return new LocalLmHealthIndicator(beans);
    }
}
