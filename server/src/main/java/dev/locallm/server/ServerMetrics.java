package dev.locallm.server;

import dev.locallm.chat.ChatResponse;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The server's Prometheus metrics: requests by endpoint and status, tokens in and out, time to first token,
 * decode speed, requests waiting for a slot and generations running. Thread-safe.
 */
final class ServerMetrics {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final AtomicInteger waiting = new AtomicInteger();
    private final AtomicInteger active = new AtomicInteger();
    private final Counter promptTokens;
    private final Counter completionTokens;
    private final Timer timeToFirstToken;
    private final DistributionSummary decodeSpeed;

    ServerMetrics() {
        promptTokens = Counter.builder("locallm.tokens").tag("kind", "prompt").description("Prompt tokens processed")
                .register(registry);
        completionTokens = Counter.builder("locallm.tokens").tag("kind", "completion")
                .description("Completion tokens generated").register(registry);
        timeToFirstToken = Timer.builder("locallm.time.to.first.token").description("From request to first token")
                .register(registry);
        decodeSpeed = DistributionSummary.builder("locallm.decode.tokens.per.second")
                .description("Tokens generated per second after the first").register(registry);
        Gauge.builder("locallm.queue.depth", waiting, AtomicInteger::get)
                .description("Requests admitted and waiting for a generation slot").register(registry);
        Gauge.builder("locallm.active.generations", active, AtomicInteger::get)
                .description("Generations running").register(registry);
    }

    void request(String endpoint, int status) {
        registry.counter("locallm.requests", "endpoint", endpoint, "status", String.valueOf(status)).increment();
    }

    void generated(ChatResponse response) {
        promptTokens.increment(response.usage().promptTokens());
        completionTokens.increment(response.usage().completionTokens());
        if (response.usage().completionTokens() > 0) {
            timeToFirstToken.record(response.timings().timeToFirstToken());
        }
        if (response.timings().decodeTokensPerSecond() > 0) {
            decodeSpeed.record(response.timings().decodeTokensPerSecond());
        }
    }

    AtomicInteger waiting() {
        return waiting;
    }

    AtomicInteger active() {
        return active;
    }

    String scrape() {
        return registry.scrape();
    }
}
