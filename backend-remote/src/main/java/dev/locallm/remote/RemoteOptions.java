package dev.locallm.remote;

import dev.locallm.error.InvalidRequestException;
import dev.locallm.spi.BackendOptions;
import dev.locallm.spi.ModelLocation;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Options of the remote backend, which talks to an OpenAI-compatible server. The same settings can be given as
 * query parameters of the model URI, {@code openai:http://127.0.0.1:8000/v1?model=NAME&dialect=vllm&...}:
 * <ul>
 *   <li>{@code model}: the model name the server knows; default the only (or first) one it lists.</li>
 *   <li>{@code dialect}: the server family ({@link Dialect#uriName()}); default {@code auto}, detected.</li>
 *   <li>{@code api-key-env}: the environment variable that holds the API key (a key never goes in a URI).</li>
 *   <li>{@code timeout}: seconds the server may stay silent, waiting for the response or between bytes of a
 *       stream; default 60.</li>
 *   <li>{@code total-timeout}: seconds one request may take in all; default 600.</li>
 *   <li>{@code retries}: attempts after the first on connection errors, 408, 429, 502, 503 and 504; default 2.</li>
 *   <li>{@code repairs}: times a blocking call re-asks after a reply that breaks the schema or tool choice;
 *       default 2.</li>
 *   <li>{@code parallel}: requests sent at once by this model; default 4.</li>
 *   <li>{@code ctx}: the server's context length, when it does not say.</li>
 *   <li>{@code wire-log}: {@code true} logs each request and answer ({@link Builder#wireLog}).</li>
 * </ul>
 * Immutable and thread-safe.
 */
public final class RemoteOptions implements BackendOptions {
    private final String apiKey;
    private final String model;
    private final Dialect dialect;
    private final Duration connectTimeout;
    private final Duration readTimeout;
    private final Duration totalTimeout;
    private final int maxRetries;
    private final int repairAttempts;
    private final int parallel;
    private final int contextLength;
    private final Map<String, String> headers;
    private final Duration maxBackoff;
    private final boolean wireLog;

    private RemoteOptions(Builder b) {
        this.apiKey = b.apiKey;
        this.model = b.model;
        this.dialect = b.dialect;
        this.connectTimeout = b.connectTimeout;
        this.readTimeout = b.readTimeout;
        this.totalTimeout = b.totalTimeout;
        this.maxRetries = b.maxRetries;
        this.repairAttempts = b.repairAttempts;
        this.parallel = b.parallel;
        this.contextLength = b.contextLength;
        this.headers = Map.copyOf(b.headers);
        this.maxBackoff = b.maxBackoff;
        this.wireLog = b.wireLog;
    }

    /** A builder with every default. */
    public static Builder builder() {
        return new Builder();
    }

    /** These options with the URI's query parameters applied over them. */
    RemoteOptions withParameters(Map<String, String> parameters) {
        Builder b = toBuilder();
        for (Map.Entry<String, String> p : parameters.entrySet()) {
            String v = p.getValue();
            switch (p.getKey()) {
                case "model" -> b.model(v);
                case "dialect" -> b.dialect(Dialect.of(v));
                case "api-key-env" -> {
                    String key = System.getenv(v);
                    if (key == null || key.isBlank()) {
                        throw new InvalidRequestException("The environment variable " + v + " named by api-key-env "
                                + "is not set", "model");
                    }
                    b.apiKey(key);
                }
                case "timeout" -> b.readTimeout(Duration.ofSeconds(ModelLocation.wholeNumber(p.getKey(), v)));
                case "total-timeout" -> b.totalTimeout(Duration.ofSeconds(ModelLocation.wholeNumber(p.getKey(), v)));
                case "retries" -> b.maxRetries(ModelLocation.wholeNumber(p.getKey(), v));
                case "repairs" -> b.repairAttempts(ModelLocation.wholeNumber(p.getKey(), v));
                case "parallel" -> b.parallel(ModelLocation.wholeNumber(p.getKey(), v));
                case "ctx" -> b.contextLength(ModelLocation.wholeNumber(p.getKey(), v));
                case "wire-log" -> b.wireLog(switch (v) {
                    case "true" -> true;
                    case "false" -> false;
                    default -> throw new InvalidRequestException("wire-log is true or false, got '" + v + "'",
                            "model");
                });
                default -> throw new InvalidRequestException("Unknown parameter '" + p.getKey() + "' for the remote "
                        + "backend; known: model, dialect, api-key-env, timeout, total-timeout, retries, repairs, "
                        + "parallel, ctx, wire-log", "model");
            }
        }
        return b.build();
    }

    /** A builder holding these options. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.apiKey = apiKey;
        b.model = model;
        b.dialect = dialect;
        b.connectTimeout = connectTimeout;
        b.readTimeout = readTimeout;
        b.totalTimeout = totalTimeout;
        b.maxRetries = maxRetries;
        b.repairAttempts = repairAttempts;
        b.parallel = parallel;
        b.contextLength = contextLength;
        b.headers.putAll(headers);
        b.maxBackoff = maxBackoff;
        b.wireLog = wireLog;
        return b;
    }

    String apiKey() {
        return apiKey;
    }

    String model() {
        return model;
    }

    Dialect dialect() {
        return dialect;
    }

    Duration connectTimeout() {
        return connectTimeout;
    }

    Duration readTimeout() {
        return readTimeout;
    }

    Duration totalTimeout() {
        return totalTimeout;
    }

    int maxRetries() {
        return maxRetries;
    }

    int repairAttempts() {
        return repairAttempts;
    }

    int parallel() {
        return parallel;
    }

    int contextLength() {
        return contextLength;
    }

    Map<String, String> headers() {
        return headers;
    }

    Duration maxBackoff() {
        return maxBackoff;
    }

    boolean wireLog() {
        return wireLog;
    }

    @Override
    public String toString() {
        return "RemoteOptions[model=" + model + ", dialect=" + dialect + ", apiKey=" + (apiKey == null ? "none" : "***")
                + ", readTimeout=" + readTimeout + ", totalTimeout=" + totalTimeout + ", retries=" + maxRetries
                + ", repairs=" + repairAttempts + ", parallel=" + parallel + ", wireLog=" + wireLog + "]";
    }

    /** Builds {@link RemoteOptions}; not thread-safe. */
    public static final class Builder {
        private String apiKey;
        private String model;
        private Dialect dialect = Dialect.AUTO;
        private Duration connectTimeout = Duration.ofSeconds(10);
        private Duration readTimeout = Duration.ofSeconds(60);
        private Duration totalTimeout = Duration.ofMinutes(10);
        private int maxRetries = 2;
        private int repairAttempts = 2;
        private int parallel = 4;
        private int contextLength;
        private final Map<String, String> headers = new LinkedHashMap<>();
        private Duration maxBackoff = Duration.ofSeconds(30);
        private boolean wireLog;

        private Builder() {
        }

        /**
         * Logs every request and answer at INFO to {@code dev.locallm.remote.wire} (the API key and credential
         * headers redacted); off by default.
         */
        public Builder wireLog(boolean on) {
            this.wireLog = on;
            return this;
        }

        /** Sent as {@code Authorization: Bearer <key>}; never logged. */
        public Builder apiKey(String apiKey) {
            this.apiKey = Objects.requireNonNull(apiKey, "apiKey");
            return this;
        }

        /** The model name the server knows; by default the only (or first) one it lists. */
        public Builder model(String model) {
            this.model = Objects.requireNonNull(model, "model");
            return this;
        }

        /** The server family; {@link Dialect#AUTO} (the default) detects it. */
        public Builder dialect(Dialect dialect) {
            this.dialect = Objects.requireNonNull(dialect, "dialect");
            return this;
        }

        /** How long connecting may take; 10 s by default. */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = positive(timeout, "connectTimeout");
            return this;
        }

        /** How long the server may stay silent (before its answer, or between bytes of a stream); 60 s by default. */
        public Builder readTimeout(Duration timeout) {
            this.readTimeout = positive(timeout, "readTimeout");
            return this;
        }

        /** How long one request may take in all, retries included; 10 minutes by default. */
        public Builder totalTimeout(Duration timeout) {
            this.totalTimeout = positive(timeout, "totalTimeout");
            return this;
        }

        /**
         * Attempts after the first when connecting fails or the server answers 408, 429 or 5xx, with exponential
         * backoff and jitter, honouring {@code Retry-After}; 2 by default. Never once a stream has started.
         */
        public Builder maxRetries(int retries) {
            this.maxRetries = atLeast(retries, 0, "maxRetries");
            return this;
        }

        /** The longest wait between retries, {@code Retry-After} included; 30 s by default. */
        public Builder maxBackoff(Duration maxBackoff) {
            this.maxBackoff = positive(maxBackoff, "maxBackoff");
            return this;
        }

        /** Times a blocking call re-asks after a reply that breaks the schema or tool choice; 2 by default. */
        public Builder repairAttempts(int attempts) {
            this.repairAttempts = atLeast(attempts, 0, "repairAttempts");
            return this;
        }

        /** Requests this model sends at once (others wait); 4 by default. */
        public Builder parallel(int parallel) {
            this.parallel = atLeast(parallel, 1, "parallel");
            return this;
        }

        /** The server's context length in tokens, for servers that do not report it. */
        public Builder contextLength(int tokens) {
            this.contextLength = atLeast(tokens, 1, "contextLength");
            return this;
        }

        /** An extra header sent with every request (a proxy's, for instance). */
        public Builder header(String name, String value) {
            if (name.equalsIgnoreCase("Authorization")) {
                throw new InvalidRequestException("Set the API key with apiKey(...), not as a header", "headers");
            }
            headers.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /** The options. */
        public RemoteOptions build() {
            return new RemoteOptions(this);
        }

        private static Duration positive(Duration d, String name) {
            Objects.requireNonNull(d, name);
            if (d.isNegative() || d.isZero()) {
                throw new InvalidRequestException(name + " must be positive", name);
            }
            return d;
        }

        private static int atLeast(int value, int min, String name) {
            if (value < min) {
                throw new InvalidRequestException(name + " must be at least " + min + ", got " + value, name);
            }
            return value;
        }
    }
}
