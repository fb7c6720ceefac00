package dev.locallm.remote;

import dev.locallm.error.GenerationCancelledException;
import dev.locallm.error.GenerationException;
import dev.locallm.error.InvalidRequestException;
import dev.locallm.error.LocalLmException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * HTTP to one OpenAI-compatible server with {@link HttpClient}: JSON requests and streaming ones, timeouts,
 * and retries with exponential backoff and jitter on connection errors, 408, 429, 502, 503 and 504 (honouring
 * {@code Retry-After}), never on other 4xx. Redirects are not followed, so the API key is only ever sent to the
 * configured host; it is never logged. Thread-safe.
 *
 * <p><b>The retry rule for streams.</b> A streamed request is sent again only while the server has not accepted
 * it: the connection failed, or the answer's status line says 408, 429, 502, 503 or 504. Once a 2xx status line
 * has arrived the request is never sent again, whatever happens next and whichever thread learns of it first: the
 * events that arrived are read, then the failure ends the stream (the caller sees a
 * {@link dev.locallm.error.StreamInterruptedException} with the text received). So the caller never sees text
 * twice, and a reply the server started is never silently run a second time.
 */
final class HttpTransport {
    private static final Logger LOG = LoggerFactory.getLogger(HttpTransport.class);
    private static final long FIRST_BACKOFF_MILLIS = 500;
    private static final int MAX_EVENT_BYTES = 16 * 1024 * 1024;
    private static final int MAX_ERROR_BYTES = 1024 * 1024;

    /** The outcome of one attempt: a body, or an error answer. */
    private record Answer<T>(int status, T body, byte[] errorBody, Optional<String> retryAfter, String server) { }

    /** A JSON document and the {@code Server} header it came with (empty when there was none). */
    record Document(JsonNode json, String server) { }

    private final HttpClient client;
    private final String base;
    private final RemoteOptions options;
    private final WireLog wire;

    HttpTransport(String baseUrl, RemoteOptions options) {
        this.base = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.options = options;
        this.wire = new WireLog(options.wireLog());
        URI uri = URI.create(base);
        if (uri.getScheme() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))
                || uri.getHost() == null) {
            throw new dev.locallm.error.InvalidRequestException("The remote base URL must be http(s)://host[:port]/path,"
                    + " got '" + baseUrl + "'", "model");
        }
        this.client = HttpClient.newBuilder().connectTimeout(options.connectTimeout())
                .followRedirects(HttpClient.Redirect.NEVER).version(HttpClient.Version.HTTP_1_1).build();
    }

    String baseUrl() {
        return base;
    }

    /** GET a JSON document, with retries. */
    JsonNode getJson(String path) {
        return getDocument(path).json();
    }

    /** GET a JSON document and the server's name for itself, with retries. */
    Document getDocument(String path) {
        Answer<Object> answer = send(() -> request(path).GET(), null, jsonHandler(), deadline(), false);
        return new Document(json(answer.body()), answer.server());
    }

    /** POST JSON and read a JSON answer, with retries. */
    JsonNode postJson(String path, JsonNode body) {
        byte[] bytes = JsonMapper.shared().writeValueAsBytes(body);
        return json(send(() -> post(path, bytes), bytes, jsonHandler(), deadline(), false).body());
    }

    /**
     * POST JSON and open the answer as a stream of server-sent events, retrying until the server accepts it.
     * After this returns, nothing is retried.
     */
    EventStream openStream(String path, JsonNode body, long deadlineNanos) {
        byte[] bytes = JsonMapper.shared().writeValueAsBytes(body);
        return send(() -> post(path, bytes).header("Accept", "text/event-stream"), bytes,
                info -> info.statusCode() / 100 != 2 ? new EventStream(MAX_ERROR_BYTES, true)
                        : new EventStream(MAX_EVENT_BYTES, info.headers().firstValue("Content-Type").orElse("")
                                .toLowerCase(java.util.Locale.ROOT).startsWith("application/json")),
                deadlineNanos, true).body();
    }

    /** The wire log of this server's traffic (a no-op unless {@code wire-log} is on). */
    WireLog wire() {
        return wire;
    }

    long deadline() {
        return System.nanoTime() + options.totalTimeout().toNanos();
    }

    /** A request for a path under the base URL; {@code /../x} is {@code x} beside it (llama-server's {@code /props}). */
    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path).normalize())
                .timeout(options.readTimeout())
                .header("User-Agent", "LocaLLM");
        if (options.apiKey() != null) {
            b.header("Authorization", "Bearer " + options.apiKey());
        }
        options.headers().forEach(b::header);
        return b;
    }

    private HttpRequest.Builder post(String path, byte[] body) {
        return request(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    }

    private static HttpResponse.BodyHandler<Object> jsonHandler() {
        return info -> HttpResponse.BodySubscribers.mapping(HttpResponse.BodySubscribers.ofByteArray(), b -> b);
    }

    private static JsonNode json(Object bytes) {
        try {
            return JsonMapper.shared().readTree((byte[]) bytes);
        } catch (JacksonException e) {
            throw new GenerationException("The server's answer is not JSON: " + e.getOriginalMessage());
        }
    }

    /** Sends with retries until a 2xx answer, which it returns; throws the typed error otherwise. */
    private <T> Answer<T> send(java.util.function.Supplier<HttpRequest.Builder> request, byte[] body,
            HttpResponse.BodyHandler<T> handler, long deadlineNanos, boolean stream) {
        int attempt = 0;
        while (true) {
            Answer<T> answer;
            try {
                answer = attempt(request.get(), body, handler, deadlineNanos, stream);
            } catch (ConnectionFailed e) {
                if (attempt >= options.maxRetries()) {
                    throw new RemoteUnreachableException(base, attempt + 1, e.getMessage(), e.getCause());
                }
                pause(backoff(attempt, Optional.empty()), deadlineNanos, e.getMessage());
                attempt++;
                continue;
            }
            if (answer.status() / 100 == 2) {
                return answer;
            }
            wire.body(answer.errorBody());
            LocalLmException error = ServerErrors.of(answer.status(), answer.errorBody());
            boolean retryable = error instanceof RemoteServerException r && r.retryable();
            if (!retryable || attempt >= options.maxRetries()) {
                LOG.debug("{}: attempt {} answered {}: {}", base, attempt + 1, answer.status(), error.getMessage());
                throw error;
            }
            pause(backoff(attempt, answer.retryAfter()), deadlineNanos, error.getMessage());
            attempt++;
        }
    }

    /** A failure to connect or to get an answer, which may be retried. */
    private static final class ConnectionFailed extends Exception {
        private static final long serialVersionUID = 1L;

        ConnectionFailed(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * Sends once. A stream is sent with {@link HttpClient#send}, which writes the request on the calling thread
     * and returns at the headers (the async path costs two thread hand-offs, about 0.3 ms a request on 2 cores),
     * its timeout the read timeout or the time left, whichever is shorter; its {@link EventStream} then reads the
     * body under both timeouts. Any other request waits for its whole body within the total timeout.
     */
    private <T> Answer<T> attempt(HttpRequest.Builder builder, byte[] body, HttpResponse.BodyHandler<T> handler,
            long deadlineNanos, boolean stream) throws ConnectionFailed {
        HttpResponse<T> response;
        AcceptedBody<T> accepted = new AcceptedBody<>(handler);
        long start = System.nanoTime();
        try {
            if (stream) {
                long left = Math.max(1, deadlineNanos - System.nanoTime());
                HttpRequest request = builder.timeout(Duration.ofNanos(Math.min(left, options.readTimeout().toNanos())))
                        .build();
                wire.request(request, body);
                response = client.send(request, accepted);
            } else {
                HttpRequest request = builder.build();
                wire.request(request, body);
                response = whole(request, handler, deadlineNanos);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GenerationCancelledException("Interrupted while waiting for " + base, "");
        } catch (HttpConnectTimeoutException e) {
            throw new ConnectionFailed("no connection within " + options.connectTimeout().toMillis() + " ms", e);
        } catch (ConnectException e) {
            throw new ConnectionFailed(e.getMessage() == null ? "the connection was refused"
                    : "the connection failed (" + e.getMessage() + ")", e);
        } catch (HttpTimeoutException e) {
            throw deadlineNanos - System.nanoTime() <= 0 ? totalTimeout()
                    : new GenerationException("No answer from " + base + " within the read timeout of "
                            + options.readTimeout().toSeconds() + " s", e);
        } catch (IOException e) {
            if (accepted.body instanceof EventStream events) {
                events.onError(e);
                return new Answer<>(accepted.status, accepted.body, null, Optional.empty(), "");
            }
            throw new ConnectionFailed("the connection broke before an answer (" + e + ")", e);
        }
        wire.response(response.statusCode(), response.uri().toString(), response.headers(), start);
        if (response.statusCode() / 100 == 2) {
            if (wire.enabled() && response.body() instanceof byte[] bytes) {
                wire.body(bytes);
            }
            return new Answer<>(response.statusCode(), response.body(), null, Optional.empty(),
                    response.headers().firstValue("Server").orElse(""));
        }
        Object answered = response.body();
        byte[] bytes = answered instanceof byte[] b ? b
                : answered instanceof EventStream events ? events.readAll(options.readTimeout().toNanos(), deadlineNanos)
                : new byte[0];
        return new Answer<>(response.statusCode(), null, bytes, response.headers().firstValue("Retry-After"), "");
    }

    /**
     * Builds the body of an answer and remembers it when the status is 2xx: the JDK calls it when the status line
     * and headers have arrived, so a body remembered here means the server accepted the request, even when the
     * connection then fails before {@link HttpClient#send} returns.
     */
    private static final class AcceptedBody<T> implements HttpResponse.BodyHandler<T> {
        private final HttpResponse.BodyHandler<T> handler;
        private volatile T body;
        private volatile int status;

        AcceptedBody(HttpResponse.BodyHandler<T> handler) {
            this.handler = handler;
        }

        @Override
        public HttpResponse.BodySubscriber<T> apply(HttpResponse.ResponseInfo info) {
            HttpResponse.BodySubscriber<T> subscriber = handler.apply(info);
            if (info.statusCode() / 100 == 2 && subscriber instanceof EventStream) {
                status = info.statusCode();
                body = subscriber.getBody().toCompletableFuture().getNow(null);
            }
            return subscriber;
        }
    }

    private <T> HttpResponse<T> whole(HttpRequest request, HttpResponse.BodyHandler<T> handler, long deadlineNanos)
            throws IOException, InterruptedException {
        CompletableFuture<HttpResponse<T>> future = client.sendAsync(request, handler);
        try {
            return future.get(Math.max(1, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            future.cancel(true);
            throw e;
        } catch (TimeoutException e) {
            future.cancel(true);
            throw totalTimeout();
        } catch (CancellationException e) {
            throw new GenerationCancelledException("The request to " + base + " was cancelled", "");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new GenerationException("Request to " + base + " failed: " + e.getCause(), e.getCause());
        }
    }

    private GenerationException totalTimeout() {
        return new GenerationException("No answer from " + base + " within the total timeout of "
                + options.totalTimeout().toSeconds() + " s");
    }

    /** Exponential backoff with jitter (half to all of 0.5 s, 1 s, 2 s, ...), or the server's Retry-After. */
    Duration backoff(int attempt, Optional<String> retryAfter) {
        Optional<Duration> asked = retryAfter.flatMap(HttpTransport::parseRetryAfter);
        long max = options.maxBackoff().toMillis();
        if (asked.isPresent()) {
            return Duration.ofMillis(Math.min(max, asked.get().toMillis()));
        }
        long exponential = Math.min(max, FIRST_BACKOFF_MILLIS << Math.min(attempt, 20));
        return Duration.ofMillis(exponential / 2 + ThreadLocalRandom.current().nextLong(exponential / 2 + 1));
    }

    /** {@code Retry-After} as seconds or an HTTP date. */
    static Optional<Duration> parseRetryAfter(String value) {
        String v = value.strip();
        try {
            return Optional.of(Duration.ofSeconds(Math.max(0, Long.parseLong(v))));
        } catch (NumberFormatException e) {
            try {
                ZonedDateTime at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME);
                Duration d = Duration.between(ZonedDateTime.now(at.getZone()), at);
                return Optional.of(d.isNegative() ? Duration.ZERO : d);
            } catch (DateTimeParseException ignored) {
                return Optional.empty();
            }
        }
    }

    private void pause(Duration wait, long deadlineNanos, String why) {
        if (System.nanoTime() + wait.toNanos() >= deadlineNanos) {
            throw new GenerationException("Giving up on " + base + ": the total timeout would pass before the next "
                    + "retry (" + why + ")");
        }
        LOG.debug("Retrying {} in {} ms: {}", base, wait.toMillis(), why);
        try {
            Thread.sleep(wait.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GenerationCancelledException("Interrupted while waiting to retry " + base, "");
        }
    }

}
