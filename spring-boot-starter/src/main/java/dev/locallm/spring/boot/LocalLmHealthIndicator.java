package dev.locallm.spring.boot;

import dev.locallm.ChatModel;
import dev.locallm.EmbeddingModel;
import dev.locallm.chat.ModelCapabilities;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * The health of the application's LocaLLM singleton models (it loads no lazy or prototype one): up while each is
 * loaded, with its name, backend, context length and slots, and (with metrics) how many generations run and wait;
 * down once one is closed or broken. Thread-safe.
 */
final class LocalLmHealthIndicator implements HealthIndicator {
    private final ConfigurableListableBeanFactory beans;

    LocalLmHealthIndicator(ConfigurableListableBeanFactory beans) {
        this.beans = beans;
    }

    /** The singletons of this type created so far, by bean name: asking for others would create them. */
    private <T> Map<String, T> created(Class<T> type) {
        Map<String, T> created = new LinkedHashMap<>();
        for (String name : beans.getBeanNamesForType(type, false, false)) {
            if (beans.containsSingleton(name)) {
                created.put(name, beans.getBean(name, type));
            }
        }
        return created;
    }

    @Override
    public Health health() {
        Health.Builder health = Health.up();
        created(ChatModel.class).forEach((name, model) -> {
            try {
                health.withDetail(name, details(model));
            } catch (RuntimeException e) {
                health.down().withDetail(name, Map.of("error", String.valueOf(e.getMessage())));
            }
        });
        created(EmbeddingModel.class).forEach((name, model) -> {
            try {
                health.withDetail(name, Map.of("dimension", model.dimension()));
            } catch (RuntimeException e) {
                health.down().withDetail(name, Map.of("error", String.valueOf(e.getMessage())));
            }
        });
        return health.build();
    }

    private static Map<String, Object> details(ChatModel model) {
        ModelCapabilities capabilities = model.capabilities();
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("model", capabilities.modelName());
        details.put("backend", capabilities.backend());
        details.put("contextLength", capabilities.contextLength());
        details.put("slots", capabilities.parallelRequests());
        if (model instanceof MeteredChatModel metered) {
            int inFlight = metered.inFlight();
            int slots = Math.max(1, capabilities.parallelRequests());
            details.put("busySlots", Math.min(inFlight, slots));
            details.put("waiting", Math.max(0, inFlight - slots));
        }
        return details;
    }
}
