package dev.locallm.openai;

import java.nio.charset.StandardCharsets;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Error bodies: written the OpenAI way, and read whatever shape a server family uses: OpenAI's and llama-server's
 * {@code {"error": {...}}}, Ollama's {@code {"error": "text"}}, FastAPI's {@code {"detail": ...}} (vLLM, TabbyAPI),
 * vLLM's {@code {"object": "error", "message", "code"}}, or plain text. Stateless; thread-safe.
 */
public final class ErrorBodies {
    /** The most of an error body that is read. */
    static final int MAX_BODY = 64 * 1024;

    private ErrorBodies() {
    }

    /** {@code {"error": {"message", "type", "param", "code"}}}, plus the numbers of a context-length error. */
    public static ObjectNode write(ErrorBody e) {
        ObjectNode root = JsonMapper.shared().createObjectNode();
        ObjectNode error = root.putObject("error");
        error.put("message", e.message());
        error.put("type", e.type());
        e.param().ifPresentOrElse(p -> error.put("param", p), () -> error.putNull("param"));
        e.code().ifPresentOrElse(c -> error.put("code", c), () -> error.putNull("code"));
        e.promptTokens().ifPresent(n -> error.put("n_prompt_tokens", n));
        e.contextLength().ifPresent(n -> error.put("n_ctx", n));
        e.maxTokens().ifPresent(n -> error.put("max_tokens", n));
        e.keyword().ifPresent(k -> error.put("keyword", k));
        e.pointer().ifPresent(p -> error.put("pointer", p));
        e.reason().ifPresent(r -> error.put("reason", r));
        return root;
    }

    /** Reads an error answer's body (its first {@value #MAX_BODY} bytes). */
    public static ErrorBody read(byte[] body) {
        String text = new String(body, 0, Math.min(body.length, MAX_BODY), StandardCharsets.UTF_8);
        String whole = text.isBlank() ? "(no body)" : text.strip();
        JsonNode root;
        try {
            root = JsonMapper.shared().readTree(text);
        } catch (JacksonException e) {
            return ErrorBody.builder("", whole).build();
        }
        if (root == null || !root.isObject()) {
            return ErrorBody.builder("", whole).build();
        }
        JsonNode error = root.has("error") ? root.get("error") : root.get("detail");
        if (error == null && root.path("message").isString()) {
            return read(root, whole);
        }
        return read(error, whole);
    }

    /** Reads the value of an {@code error} (or {@code detail}) member; {@code whole} is the message when it has none. */
    static ErrorBody read(JsonNode error, String whole) {
        if (error != null && error.isString()) {
            return ErrorBody.builder("", error.asString()).build();
        }
        if (error != null && error.isArray() && !error.isEmpty()) {
            JsonNode first = error.get(0);
            return ErrorBody.builder("", first.path("msg").isString() ? first.get("msg").asString() : error.toString())
                    .build();
        }
        if (error == null || !error.isObject()) {
            return ErrorBody.builder("", whole.isEmpty() ? String.valueOf(error) : whole).build();
        }
        String message = error.path("message").isString() ? error.get("message").asString()
                : whole.isEmpty() ? error.toString() : whole;
        ErrorBody.Builder b = ErrorBody.builder(error.path("type").isString() ? error.get("type").asString() : "",
                message);
        if (error.path("param").isString()) {
            b.param(error.get("param").asString());
        }
        JsonNode code = error.get("code");
        if (code != null && (code.isString() || code.isNumber())) {
            b.code(code.asString());
        }
        if (error.path("n_prompt_tokens").isIntegralNumber() && error.path("n_ctx").isIntegralNumber()) {
            b.contextLength(error.get("n_prompt_tokens").asInt(), error.get("n_ctx").asInt(),
                    error.path("max_tokens").asInt(0));
        }
        if (error.path("keyword").isString() && error.path("pointer").isString()) {
            b.unsupportedSchema(error.get("keyword").asString(), error.get("pointer").asString(),
                    error.path("reason").asString(""));
        }
        return b.build();
    }
}
