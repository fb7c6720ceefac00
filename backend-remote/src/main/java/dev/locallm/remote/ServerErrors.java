package dev.locallm.remote;

import dev.locallm.error.ContextLengthExceededException;
import dev.locallm.error.LocalLmException;
import dev.locallm.internal.Json;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * Reads the error bodies of OpenAI-compatible servers, which differ: OpenAI's {@code {"error": {"message",
 * "type", "code"}}}, Ollama's {@code {"error": "text"}}, FastAPI's {@code {"detail": ...}} (vLLM, TabbyAPI),
 * llama-server's {@code {"error": {"code", "message", "type", "n_prompt_tokens", "n_ctx"}}}, or plain text.
 * Context-length errors become {@link ContextLengthExceededException} when their numbers can be read. Stateless.
 */
final class ServerErrors {
    static final int MAX_BODY = 64 * 1024;
    /** OpenAI and vLLM: "maximum context length is 4096 tokens. However, you requested 5000 tokens (4000 in the messages, 1000 in the completion)". */
    private static final Pattern OPENAI_CONTEXT = Pattern.compile(
            "maximum context length is (\\d+) tokens.*?(\\d+) in the messages, (\\d+) in the completion",
            Pattern.DOTALL);
    /** vLLM (newer): "maximum context length is 2048 tokens. However, your request has 3000 input tokens". */
    private static final Pattern VLLM_INPUT = Pattern.compile(
            "maximum context length is (\\d+) tokens.*?request has (\\d+) input tokens", Pattern.DOTALL);
    /** LocaLLM: "The prompt has 3000 tokens but the context window holds 2048 tokens". */
    private static final Pattern LOCALLM_PROMPT = Pattern.compile(
            "prompt has (\\d+) tokens but the context window holds (\\d+) tokens");
    /** LocaLLM: "This model's context window holds 2048 tokens, but 2100 were requested (53 in the messages, 2047 for the completion)". */
    private static final Pattern LOCALLM_TOTAL = Pattern.compile(
            "context window holds (\\d+) tokens, but \\d+ were requested \\((\\d+) in the messages, (\\d+) for the");

    private ServerErrors() {
    }

    /** The exception for a non-2xx answer. */
    static LocalLmException of(int status, byte[] rawBody) {
        String body = new String(rawBody, 0, Math.min(rawBody.length, MAX_BODY), StandardCharsets.UTF_8);
        String message = body.isBlank() ? "(no body)" : body.strip();
        String code = null;
        JsonNode root = null;
        try {
            root = Json.MAPPER.readTree(body);
        } catch (JacksonException e) {
            // plain text: the message is the body
        }
        if (root != null && root.isObject()) {
            JsonNode error = root.has("error") ? root.get("error") : root.get("detail");
            if (error != null && error.isObject()) {
                message = text(error, "message", message);
                code = error.has("code") && !error.get("code").isNull() ? error.get("code").asString()
                        : error.has("type") && error.get("type").isString() ? error.get("type").asString() : null;
                if (error.has("n_prompt_tokens") && error.has("n_ctx")) {
                    return new ContextLengthExceededException(error.get("n_prompt_tokens").asInt(), 0,
                            error.get("n_ctx").asInt());
                }
            } else if (error != null && error.isString()) {
                message = error.asString();
            } else if (error != null && error.isArray() && !error.isEmpty()) {
                message = text(error.get(0), "msg", error.toString());
            } else if (root.has("message") && root.get("message").isString()) {
                message = root.get("message").asString();
            }
        }
        LocalLmException context = contextLength(message);
        return context != null ? context : new RemoteServerException(status, message, code, body);
    }

    private static String text(JsonNode node, String field, String absent) {
        return node != null && node.has(field) && node.get(field).isString() ? node.get(field).asString() : absent;
    }

    /** A context-length error named in a message, or null. */
    static ContextLengthExceededException contextLength(String message) {
        Matcher m = OPENAI_CONTEXT.matcher(message);
        if (m.find()) {
            return new ContextLengthExceededException(Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)),
                    Integer.parseInt(m.group(1)));
        }
        m = VLLM_INPUT.matcher(message);
        if (m.find()) {
            return new ContextLengthExceededException(Integer.parseInt(m.group(2)), 0, Integer.parseInt(m.group(1)));
        }
        m = LOCALLM_PROMPT.matcher(message);
        if (m.find()) {
            return new ContextLengthExceededException(Integer.parseInt(m.group(1)), 0, Integer.parseInt(m.group(2)));
        }
        m = LOCALLM_TOTAL.matcher(message);
        if (m.find()) {
            return new ContextLengthExceededException(Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)),
                    Integer.parseInt(m.group(1)));
        }
        return null;
    }
}
