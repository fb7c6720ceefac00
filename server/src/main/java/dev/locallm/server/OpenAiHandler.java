package dev.locallm.server;

import dev.locallm.ChatModel;
import dev.locallm.EmbeddingModel;
import dev.locallm.chat.ChatChunk;
import dev.locallm.chat.ChatResponse;
import dev.locallm.error.LocalLmException;
import dev.locallm.error.ModelBusyException;
import dev.locallm.error.StructuredOutputException;
import dev.locallm.error.TruncatedOutputException;
import dev.locallm.openai.ChatCompletionRequest;
import dev.locallm.openai.ChatCompletionRequests;
import dev.locallm.openai.CompletionRequest;
import dev.locallm.openai.Completions;
import dev.locallm.openai.EmbeddingRequest;
import dev.locallm.openai.Embeddings;
import dev.locallm.openai.ErrorBodies;
import dev.locallm.openai.HttpError;
import dev.locallm.openai.RequestLimits;
import dev.locallm.stream.ChatStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** Routes and answers the OpenAI endpoints. Thread-safe; requests run on Jetty's (blocking) threads. */
final class OpenAiHandler extends Handler.Abstract {
    private static final Logger LOG = LoggerFactory.getLogger(OpenAiHandler.class);
    private static final String BODY_READ = OpenAiHandler.class.getName() + ".bodyRead";
    private static final String MODEL_PREFIX = "/v1/models/";
    private static final int BUSY_RETRIES = 2;

    private final LocalLmServer server;
    private final byte[] apiKey;
    private final long maxBodyBytes;
    private final int queueSize;
    private final List<String> corsOrigins;
    private final RequestLimits limits;
    private final AtomicInteger admitted = new AtomicInteger();
    private volatile boolean shuttingDown;

    OpenAiHandler(LocalLmServer server, LocalLmServer.Builder b) {
        this.server = server;
        this.apiKey = b.apiKey == null ? null : b.apiKey.getBytes(StandardCharsets.UTF_8);
        this.maxBodyBytes = b.maxBodyBytes;
        this.queueSize = b.queueSize;
        this.corsOrigins = b.corsOrigins;
        this.limits = new RequestLimits(b.maxMessages, b.maxTools, b.maxTokens);
    }

    void shutdown() {
        shuttingDown = true;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String path = Request.getPathInContext(request);
        String method = request.getMethod();
        String endpoint = endpointName(path);
        int[] status = {200};
        try {
            cors(request, response);
            if (method.equals("OPTIONS") && !corsOrigins.isEmpty()) {
                status[0] = 204;
                response.setStatus(status[0]);
                callback.succeeded();
                return true;
            }
            switch (path) {
                case "/health" -> {
                    requireMethod(method, "GET");
                    dropUnreadBody(request, response);
                    status[0] = server.isReady() && !shuttingDown ? 200 : 503;
                    if (status[0] == 503) {
                        response.getHeaders().put(HttpHeader.RETRY_AFTER, "1");
                    }
                    writeJson(response, callback, status[0], Map.of("status", status[0] == 200 ? "ok" : "loading"));
                }
                case "/metrics" -> {
                    requireMethod(method, "GET");
                    authorize(request);
                    dropUnreadBody(request, response);
                    writeText(response, callback, 200, "text/plain; version=0.0.4; charset=utf-8",
                            server.metrics().scrape());
                }
                case "/v1/models" -> {
                    requireMethod(method, "GET");
                    authorize(request);
                    dropUnreadBody(request, response);
                    writeJson(response, callback, 200, models());
                }
                case "/v1/chat/completions" -> {
                    requireMethod(method, "POST");
                    authorize(request);
                    ChatCompletionRequest chat = ChatCompletionRequests.read(parse(readBody(request)), limits);
                    status[0] = generate(chat.model(), m -> m.chatStream(chat.request()), chat.stream(),
                            chat.includeUsage(), CompletionWire.chat(chat.model(), chat.includeUsage()), request,
                            response, callback);
                }
                case "/v1/completions" -> {
                    requireMethod(method, "POST");
                    authorize(request);
                    CompletionRequest c = Completions.readRequest(parse(readBody(request)), limits);
                    status[0] = generate(c.model(), m -> m.completeStream(c.prompt(), c.options()), c.stream(),
                            c.includeUsage(), CompletionWire.text(c.model(), c.echo() ? c.prompt() : "",
                                    c.includeUsage()), request, response, callback);
                }
                case "/v1/embeddings" -> {
                    requireMethod(method, "POST");
                    authorize(request);
                    writeJson(response, callback, 200, embeddings(Embeddings.readRequest(parse(readBody(request)))));
                }
                default -> {
                    if (!path.startsWith(MODEL_PREFIX) || path.length() == MODEL_PREFIX.length()) {
                        throw new ApiError(404, "invalid_request_error", "Unknown URL " + method + " " + path, null,
                                "unknown_url");
                    }
                    requireMethod(method, "GET");
                    authorize(request);
                    dropUnreadBody(request, response);
                    writeJson(response, callback, 200, model(path.substring(MODEL_PREFIX.length())));
                }
            }
        } catch (ApiError e) {
            status[0] = e.status;
            writeError(request, response, callback, e);
        } catch (RuntimeException e) {
            ApiError mapped = map(e);
            status[0] = mapped.status;
            writeError(request, response, callback, mapped);
        } finally {
            server.metrics().request(endpoint, status[0]);
        }
        return true;
    }

    /**
     * The response of a request answered in one piece. A generation the model dropped because of the requests
     * beside it ({@link ModelBusyException}) is run again, up to {@value #BUSY_RETRIES} times: the client has seen
     * nothing of it yet.
     */
    private ChatResponse completed(ChatStream first, Supplier<ChatStream> again, Request request) {
        try {
            return first.response();
        } catch (ModelBusyException busy) {
            for (int retry = 1; ; retry++) {
                if (shuttingDown) {
                    throw busy;
                }
                LOG.debug("Running a dropped generation again ({}): {}", retry, busy.getMessage());
                try (ChatStream stream = again.get()) {
                    request.addFailureListener(failure -> stream.close());
                    return stream.response();
                } catch (ModelBusyException e) {
                    if (retry == BUSY_RETRIES) {
                        throw e;
                    }
                }
            }
        }
    }

    private static String endpointName(String path) {
        return switch (path) {
            case "/health", "/metrics", "/v1/models", "/v1/chat/completions", "/v1/completions", "/v1/embeddings" ->
                    path;
            default -> path.startsWith(MODEL_PREFIX) ? "/v1/models/{model}" : "other";
        };
    }

    private static void requireMethod(String method, String expected) {
        if (!method.equals(expected)) {
            throw new ApiError(405, "invalid_request_error", "Method " + method + " is not allowed here; use "
                    + expected, null, "method_not_allowed");
        }
    }

    private void authorize(Request request) {
        if (apiKey == null) {
            return;
        }
        String header = request.getHeaders().get(HttpHeader.AUTHORIZATION);
        byte[] given = header != null && header.startsWith("Bearer ")
                ? header.substring(7).strip().getBytes(StandardCharsets.UTF_8) : new byte[0];
        if (!MessageDigest.isEqual(given, apiKey)) {
            throw new ApiError(401, "authentication_error", "Missing or invalid API key (Authorization: Bearer ...)",
                    null, "invalid_api_key");
        }
    }

    private void cors(Request request, Response response) {
        String origin = request.getHeaders().get(HttpHeader.ORIGIN);
        if (origin == null || corsOrigins.isEmpty()) {
            return;
        }
        if (corsOrigins.contains("*") || corsOrigins.contains(origin)) {
            response.getHeaders().put(HttpHeader.ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            response.getHeaders().put(HttpHeader.VARY, "Origin");
            response.getHeaders().put(HttpHeader.ACCESS_CONTROL_ALLOW_HEADERS, "Authorization, Content-Type");
            response.getHeaders().put(HttpHeader.ACCESS_CONTROL_ALLOW_METHODS, "GET, POST, OPTIONS");
        }
    }

    private String readBody(Request request) {
        String type = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
        if (type == null || !type.toLowerCase(java.util.Locale.ROOT).startsWith("application/json")) {
            throw new ApiError(415, "invalid_request_error", "Content-Type must be application/json", null,
                    "unsupported_media_type");
        }
        long declared = request.getLength();
        if (declared > maxBodyBytes) {
            throw tooLarge();
        }
        try (InputStream in = Content.Source.asInputStream(request)) {
            byte[] body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBodyBytes + 1));
            if (body.length > maxBodyBytes) {
                throw tooLarge();
            }
            request.setAttribute(BODY_READ, Boolean.TRUE);
            return new String(body, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw ApiError.invalid("Could not read the request body: " + e.getMessage(), null);
        }
    }

    private static JsonNode parse(String body) {
        JsonNode node;
        try {
            node = JsonMapper.shared().readTree(body);
        } catch (JacksonException e) {
            throw ApiError.invalid("The request body is not valid JSON: " + e.getOriginalMessage(), null);
        }
        if (node == null || !node.isObject()) {
            throw ApiError.invalid("The request body must be a JSON object", null);
        }
        return node;
    }

    private ApiError tooLarge() {
        return new ApiError(413, "invalid_request_error", "The request body is larger than " + maxBodyBytes + " bytes",
                null, "request_too_large");
    }

    // ---- endpoints

    /** OpenAI's retrieve-model answer: the entry of {@code /v1/models} with this id. */
    private JsonNode model(String id) {
        for (JsonNode m : models().get("data")) {
            if (m.get("id").asString().equals(id)) {
                return m;
            }
        }
        throw new ApiError(404, "invalid_request_error", "The model '" + id + "' does not exist", "model",
                "model_not_found");
    }

    private ObjectNode models() {
        ObjectNode root = JsonMapper.shared().createObjectNode();
        root.put("object", "list");
        ArrayNode data = root.putArray("data");
        List<String> names = new ArrayList<>(server.chatModels().keySet());
        server.embeddingModels().keySet().stream().filter(n -> !names.contains(n)).forEach(names::add);
        long created = System.currentTimeMillis() / 1000;
        for (String name : names) {
            ObjectNode m = data.addObject();
            m.put("id", name);
            m.put("object", "model");
            m.put("created", created);
            m.put("owned_by", "locallm");
            ChatModel chat = server.chatModels().get(name);
            if (chat != null) {
                m.put("context_length", chat.capabilities().contextLength());
            }
        }
        return root;
    }

    private ObjectNode embeddings(EmbeddingRequest r) {
        EmbeddingModel model = server.embeddingModels().get(r.model());
        if (model == null) {
            throw modelNotFound(r.model(), server.embeddingModels().keySet());
        }
        return Embeddings.answer(r, model);
    }

    /**
     * Runs one generation for a request: admission (slots plus queue, else 503), the stream, cancellation when
     * the client goes away, and the answer written by {@code wire}, whole or as server-sent events.
     */
    private int generate(String modelName, Function<ChatModel, ChatStream> start, boolean streaming,
            boolean includeUsage, CompletionWire wire, Request request, Response response, Callback callback) {
        ChatModel model = server.chatModels().get(modelName);
        if (model == null) {
            throw modelNotFound(modelName, server.chatModels().keySet());
        }
        int capacity = server.chatModels().values().stream().mapToInt(m -> m.capabilities().parallelRequests()).sum()
                + queueSize;
        if (shuttingDown || admitted.incrementAndGet() > capacity) {
            admitted.decrementAndGet();
            throw new ApiError(503, "server_error", shuttingDown ? "The server is shutting down"
                    : "The server is busy: all generation slots and the queue are full; retry later", null, "overloaded");
        }
        ServerMetrics metrics = server.metrics();
        metrics.waiting().incrementAndGet();
        boolean waiting = true;
        try {
            ChatStream stream = start.apply(model);
            metrics.waiting().decrementAndGet();
            waiting = false;
            metrics.active().incrementAndGet();
            request.addFailureListener(failure -> stream.close());
            try (stream) {
                if (!streaming) {
                    ChatResponse r = completed(stream, () -> start.apply(model), request);
                    metrics.generated(r);
                    writeJson(response, callback, 200, wire.response(r));
                } else {
                    stream(stream, includeUsage, wire, response, callback);
                }
                return 200;
            } finally {
                metrics.active().decrementAndGet();
            }
        } finally {
            if (waiting) {
                metrics.waiting().decrementAndGet();
            }
            admitted.decrementAndGet();
        }
    }

    private void stream(ChatStream stream, boolean includeUsage, CompletionWire wire, Response response,
            Callback callback) {
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream; charset=utf-8");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
        try (OutputStream out = Content.Sink.asOutputStream(response)) {
            for (ObjectNode opening : wire.opening()) {
                event(out, opening);
            }
            Iterator<ChatChunk> chunks = stream.iterator();
            while (chunks.hasNext()) {
                ChatChunk chunk;
                ChatResponse finished = null;
                try {
                    chunk = chunks.next();
                    if (chunk.isLast()) {
                        finished = checked(stream, chunk);
                    }
                } catch (LocalLmException e) {
                    event(out, ErrorBodies.write(map(e).body));
                    break;
                }
                ObjectNode delta = wire.delta(chunk);
                if (delta != null) {
                    event(out, delta);
                }
                if (finished != null) {
                    server.metrics().generated(finished);
                    for (ObjectNode closing : wire.closing(finished, includeUsage)) {
                        event(out, closing);
                    }
                }
            }
            out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
            callback.succeeded();
        } catch (IOException e) {
            LOG.debug("Client went away during a stream: {}", e.toString());
            stream.close();
            callback.failed(e);
        }
    }

    /**
     * The finished response of a stream, checked against the requested format. JSON cut by the token limit is
     * not an error in a stream: it ends with finish reason {@code length}, as OpenAI's streams do.
     */
    private static ChatResponse checked(ChatStream stream, ChatChunk last) {
        try {
            return stream.response();
        } catch (TruncatedOutputException e) {
            return last.response().orElseThrow(() -> e);
        }
    }

    private static void event(OutputStream out, ObjectNode payload) throws IOException {
        out.write(("data: " + JsonMapper.shared().writeValueAsString(payload) + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    // ---- errors

    private static ApiError modelNotFound(String model, java.util.Set<String> available) {
        return new ApiError(404, "invalid_request_error", "The model '" + model + "' does not exist; available: "
                + String.join(", ", available), "model", "model_not_found");
    }

    static ApiError map(RuntimeException e) {
        if (e instanceof ApiError a) {
            return a;
        }
        HttpError error = HttpError.of(e);
        if (e instanceof StructuredOutputException s) {
            LOG.warn("The model's output broke the requested format: {} {}", s.getMessage(), s.errors());
        } else if (e instanceof ModelBusyException) {
            LOG.warn("{}", e.getMessage());
        } else if (error.status() == 500) {
            LOG.error("Request failed", e);
        }
        return new ApiError(error.status(), error.body());
    }

    /** Answers with the error, after {@link #dropUnreadBody}. */
    private void writeError(Request request, Response response, Callback callback, ApiError e) {
        if (response.isCommitted()) {
            callback.failed(e);
            return;
        }
        dropUnreadBody(request, response);
        if (e.status == 503) {
            response.getHeaders().put(HttpHeader.RETRY_AFTER, "1");
        }
        writeJson(response, callback, e.status, ErrorBodies.write(e.body));
    }

    /**
     * Reads and drops a request body nobody read (an error answered before reading it, a body sent to a GET), up to
     * {@link #discardLimit()}: Jetty closes a connection it finds unread bytes on, and closing a socket with unread
     * bytes sends a reset, which can destroy the answer before the client has read it. Past that limit the answer
     * says {@code Connection: close}, so that a client at least does not send its next request on it.
     */
    private void dropUnreadBody(Request request, Response response) {
        boolean hasBody = request.getLength() > 0 || request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING);
        if (hasBody && request.getAttribute(BODY_READ) == null && !discardBody(request)) {
            response.getHeaders().put(HttpHeader.CONNECTION, "close");
        }
    }

    /**
     * The most of an unread request body that is read and dropped: four times the body limit, at least 16 MB, so
     * that a client sending a body somewhat over the limit reads the 413 rather than a reset.
     */
    private long discardLimit() {
        return Math.max(4 * maxBodyBytes, 16L * 1024 * 1024);
    }

    /**
     * Reads what is left of the request body and drops it; false when it is longer than the limit, fails, or
     * has not been sent because the client waits for {@code 100 Continue} (reading would ask for it).
     */
    private boolean discardBody(Request request) {
        long left = discardLimit();
        if (request.getLength() > left || request.getHeaders().contains(HttpHeader.EXPECT, "100-continue")) {
            return false;
        }
        try (InputStream in = Content.Source.asInputStream(request)) {
            byte[] buffer = new byte[8192];
            for (int n; (n = in.read(buffer)) >= 0;) {
                left -= n;
                if (left < 0) {
                    return false;
                }
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static void writeJson(Response response, Callback callback, int status, Object body) {
        writeText(response, callback, status, "application/json", JsonMapper.shared().writeValueAsString(body));
    }

    private static void writeText(Response response, Callback callback, int status, String type, String text) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
        Content.Sink.write(response, true, text, callback);
    }

}
