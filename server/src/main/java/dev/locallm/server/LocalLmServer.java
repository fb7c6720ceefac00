package dev.locallm.server;

import dev.locallm.ChatModel;
import dev.locallm.EmbeddingModel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An OpenAI-compatible HTTP server for LocaLLM models, embeddable in any application. It speaks
 * {@code /v1/chat/completions} (streaming, tools, JSON schema), {@code /v1/completions} (raw prompts),
 * {@code /v1/embeddings}, {@code /v1/models}, {@code /health} and {@code /metrics} (Prometheus), on Jetty 12.
 *
 * <pre>{@code
 * try (LocalLmServer server = LocalLmServer.builder()
 *         .chatModel("stories", LocalLm.chatModel("gguf:/models/m.gguf?parallel=2"))
 *         .port(8080).apiKey("secret")
 *         .build().start()) {
 *     System.out.println("OpenAI base URL: " + server.baseUrl());
 *     server.join();
 * }
 * }</pre>
 *
 * <p>Safe by default: it listens on 127.0.0.1 only, requests over 2 MB get 413, requests beyond the models'
 * slots plus a bounded queue get 503 with {@code Retry-After}, every client error is a 4xx with an OpenAI error
 * body, a client that disconnects mid-stream cancels its generation. With an API key, everything but
 * {@code /health} needs {@code Authorization: Bearer <key>} (compared in constant time, never logged); CORS is
 * off unless origins are allowed. {@link #close()} stops accepting, lets running requests finish within the
 * drain timeout, then stops; it does not close the models, which belong to the caller.
 *
 * <p>Thread-safe. Models can be added after {@link #start()}: {@code /health} answers 503 until
 * {@link #markReady()} (or, when models were given to the builder, from the start).
 */
public final class LocalLmServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LocalLmServer.class);

    private final Server jetty;
    private final ServerConnector connector;
    private final String host;
    private final Map<String, ChatModel> chatModels = new ConcurrentHashMap<>();
    private final Map<String, EmbeddingModel> embeddingModels = new ConcurrentHashMap<>();
    private final ServerMetrics metrics = new ServerMetrics();
    private final OpenAiHandler handler;
    private volatile boolean ready;
    private volatile int boundPort = -1;

    private LocalLmServer(Builder b) {
        this.host = b.host;
        chatModels.putAll(b.chatModels);
        embeddingModels.putAll(b.embeddingModels);
        this.ready = !chatModels.isEmpty() || !embeddingModels.isEmpty();
        QueuedThreadPool threads = new QueuedThreadPool(b.maxThreads, 4);
        threads.setName("locallm-http");
        this.jetty = new Server(threads);
        jetty.setErrorHandler(new ProtocolErrorHandler());
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        this.connector = new ServerConnector(jetty, new HttpConnectionFactory(http));
        connector.setHost(b.host);
        connector.setPort(b.port);
        connector.setIdleTimeout(b.idleTimeout.toMillis());
        jetty.addConnector(connector);
        this.handler = new OpenAiHandler(this, b);
        GracefulHandler graceful = new GracefulHandler(handler);
        jetty.setHandler(graceful);
        jetty.setStopTimeout(b.drainTimeout.toMillis());
        jetty.setStopAtShutdown(false);
    }

    /** A builder with the defaults: 127.0.0.1, an ephemeral port, no API key, no models. */
    public static Builder builder() {
        return new Builder();
    }

    /** Starts listening; returns this server. */
    public LocalLmServer start() {
        try {
            jetty.start();
            boundPort = connector.getLocalPort();
        } catch (Exception e) {
            throw new IllegalStateException("The LocaLLM server could not start on " + host + ":" + connector.getPort()
                    + ": " + e.getMessage(), e);
        }
        LOG.info("LocaLLM OpenAI-compatible server listening on {}", baseUrl());
        return this;
    }

    /** The port it listens on (the actual one when 0 was asked for), or listened on once closed; -1 before start. */
    public int port() {
        return boundPort;
    }

    /** The OpenAI base URL to give clients, such as {@code http://127.0.0.1:8080/v1}. */
    public String baseUrl() {
        String h = host.contains(":") ? "[" + host + "]" : host;
        return "http://" + (h.equals("0.0.0.0") ? "127.0.0.1" : h) + ":" + port() + "/v1";
    }

    /** Serves another chat model under {@code name}. */
    public void addChatModel(String name, ChatModel model) {
        chatModels.put(Objects.requireNonNull(name), Objects.requireNonNull(model));
    }

    /** Serves another embedding model under {@code name}. */
    public void addEmbeddingModel(String name, EmbeddingModel model) {
        embeddingModels.put(Objects.requireNonNull(name), Objects.requireNonNull(model));
    }

    /** Makes {@code /health} answer 200: the models are loaded. */
    public void markReady() {
        ready = true;
    }

    boolean isReady() {
        return ready;
    }

    Map<String, ChatModel> chatModels() {
        return chatModels;
    }

    Map<String, EmbeddingModel> embeddingModels() {
        return embeddingModels;
    }

    ServerMetrics metrics() {
        return metrics;
    }

    /** Blocks until the server stops. */
    public void join() throws InterruptedException {
        jetty.join();
    }

    /**
     * Stops accepting connections, lets running requests finish within the drain timeout, then stops. The
     * models are not closed. Idempotent.
     */
    @Override
    public void close() {
        try {
            handler.shutdown();
            jetty.stop();
        } catch (Exception e) {
            LOG.warn("Stopping the LocaLLM server: {}", e.toString());
        }
    }

    /** Configures a server; not thread-safe. */
    public static final class Builder {
        final Map<String, ChatModel> chatModels = new ConcurrentHashMap<>();
        final Map<String, EmbeddingModel> embeddingModels = new ConcurrentHashMap<>();
        String host = "127.0.0.1";
        int port = 8080;
        String apiKey;
        long maxBodyBytes = 2L * 1024 * 1024;
        int queueSize = 16;
        int maxThreads = 64;
        int maxMessages = 1024;
        int maxTools = 128;
        int maxTokens = 32_768;
        List<String> corsOrigins = new ArrayList<>();
        Duration drainTimeout = Duration.ofSeconds(30);
        Duration idleTimeout = Duration.ofMinutes(5);

        private Builder() {
        }

        /** Serves {@code model} as {@code name} on the chat and completion endpoints; the server does not close it. */
        public Builder chatModel(String name, ChatModel model) {
            chatModels.put(Objects.requireNonNull(name), Objects.requireNonNull(model));
            return this;
        }

        /** Serves {@code model} as {@code name} on the embeddings endpoint; the server does not close it. */
        public Builder embeddingModel(String name, EmbeddingModel model) {
            embeddingModels.put(Objects.requireNonNull(name), Objects.requireNonNull(model));
            return this;
        }

        /** The address to listen on; 127.0.0.1 by default. {@code 0.0.0.0} opens it to the network. */
        public Builder host(String host) {
            this.host = Objects.requireNonNull(host);
            return this;
        }

        /** The port; 8080 by default, 0 for any free one. */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be 0..65535");
            }
            this.port = port;
            return this;
        }

        /** Requires {@code Authorization: Bearer <apiKey>} on every endpoint but {@code /health}. */
        public Builder apiKey(String apiKey) {
            this.apiKey = Objects.requireNonNull(apiKey);
            return this;
        }

        /** Largest request body; 2 MB by default. */
        public Builder maxBodyBytes(long maxBodyBytes) {
            this.maxBodyBytes = maxBodyBytes;
            return this;
        }

        /** Requests that may wait for a generation slot beyond those running; 16 by default. */
        public Builder queueSize(int queueSize) {
            this.queueSize = queueSize;
            return this;
        }

        /** Largest {@code max_tokens} a request may ask for; 32768 by default. */
        public Builder maxTokens(int maxTokens) {
            this.maxTokens = maxTokens;
            return this;
        }

        /** Origins allowed to call from browsers (CORS); none by default. {@code *} allows any. */
        public Builder corsOrigins(List<String> origins) {
            this.corsOrigins = List.copyOf(origins);
            return this;
        }

        /** How long {@link LocalLmServer#close()} waits for running requests; 30 s by default. */
        public Builder drainTimeout(Duration drainTimeout) {
            this.drainTimeout = Objects.requireNonNull(drainTimeout);
            return this;
        }

        /** The server, not started yet. */
        public LocalLmServer build() {
            return new LocalLmServer(this);
        }
    }
}
