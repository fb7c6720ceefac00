package dev.locallm.server;

import dev.locallm.chat.ChatResponse;
import dev.locallm.chat.FinishReason;
import dev.locallm.chat.Usage;
import dev.locallm.internal.Json;
import dev.locallm.tool.ToolCall;
import dev.locallm.tool.ToolCallDelta;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** Writes OpenAI response objects. Stateless; thread-safe. */
final class OpenAiResponses {
    static final String FINGERPRINT = "locallm";

    private OpenAiResponses() {
    }

    static String finishReason(FinishReason reason) {
        return switch (reason) {
            case STOP, CANCELLED -> "stop";
            case LENGTH -> "length";
            case TOOL_CALLS -> "tool_calls";
        };
    }

    static ObjectNode chatCompletion(String id, long created, String model, ChatResponse r) {
        ObjectNode root = envelope(id, "chat.completion", created, model);
        ObjectNode message = Json.MAPPER.createObjectNode();
        message.put("role", "assistant");
        if (r.text().isEmpty() && !r.toolCalls().isEmpty()) {
            message.putNull("content");
        } else {
            message.put("content", r.text());
        }
        message.putNull("refusal");
        if (!r.toolCalls().isEmpty()) {
            ArrayNode calls = message.putArray("tool_calls");
            for (ToolCall c : r.toolCalls()) {
                ObjectNode call = calls.addObject();
                call.put("id", c.id());
                call.put("type", "function");
                ObjectNode f = call.putObject("function");
                f.put("name", c.name());
                f.put("arguments", c.arguments());
            }
        }
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        choice.set("message", message);
        choice.putNull("logprobs");
        choice.put("finish_reason", finishReason(r.finishReason()));
        root.set("usage", usage(r.usage()));
        return root;
    }

    static ObjectNode chunk(String id, long created, String model, String role, String text, List<ToolCallDelta> deltas,
                            String finishReason, boolean withUsageField) {
        ObjectNode root = envelope(id, "chat.completion.chunk", created, model);
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode delta = choice.putObject("delta");
        if (role != null) {
            delta.put("role", role);
        }
        if (text != null) {
            delta.put("content", text);
        }
        if (!deltas.isEmpty()) {
            ArrayNode calls = delta.putArray("tool_calls");
            for (ToolCallDelta d : deltas) {
                ObjectNode call = calls.addObject();
                call.put("index", d.index());
                if (!d.id().isEmpty()) {
                    call.put("id", d.id());
                    call.put("type", "function");
                }
                ObjectNode f = call.putObject("function");
                if (!d.name().isEmpty()) {
                    f.put("name", d.name());
                }
                f.put("arguments", d.arguments());
            }
        }
        choice.putNull("logprobs");
        if (finishReason == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", finishReason);
        }
        if (withUsageField) {
            root.putNull("usage");
        }
        return root;
    }

    /**
     * A {@code text_completion} object: a whole response (with usage), or a streamed piece (usage {@code null},
     * and the field only written when {@code usageField}).
     */
    static ObjectNode textCompletion(String id, long created, String model, String text, String finishReason,
                                     Usage usage, boolean usageField) {
        ObjectNode root = envelope(id, "text_completion", created, model);
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("text", text);
        choice.put("index", 0);
        choice.putNull("logprobs");
        if (finishReason == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", finishReason);
        }
        if (usage != null) {
            root.set("usage", usage(usage));
        } else if (usageField) {
            root.putNull("usage");
        }
        return root;
    }

    static ObjectNode usageChunk(String id, long created, String model, String object, Usage usage) {
        ObjectNode root = envelope(id, object, created, model);
        root.putArray("choices");
        root.set("usage", usage(usage));
        return root;
    }

    static ObjectNode usage(Usage u) {
        ObjectNode usage = Json.MAPPER.createObjectNode();
        usage.put("prompt_tokens", u.promptTokens());
        usage.put("completion_tokens", u.completionTokens());
        usage.put("total_tokens", u.totalTokens());
        return usage;
    }

    static ObjectNode embeddings(String model, List<float[]> vectors, boolean base64, int promptTokens) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("object", "list");
        ArrayNode data = root.putArray("data");
        for (int i = 0; i < vectors.size(); i++) {
            ObjectNode e = data.addObject();
            e.put("object", "embedding");
            e.put("index", i);
            if (base64) {
                ByteBuffer bytes = ByteBuffer.allocate(vectors.get(i).length * 4).order(ByteOrder.LITTLE_ENDIAN);
                for (float f : vectors.get(i)) {
                    bytes.putFloat(f);
                }
                e.put("embedding", Base64.getEncoder().encodeToString(bytes.array()));
            } else {
                ArrayNode v = e.putArray("embedding");
                for (float f : vectors.get(i)) {
                    v.add(f);
                }
            }
        }
        root.put("model", model);
        ObjectNode usage = root.putObject("usage");
        usage.put("prompt_tokens", promptTokens);
        usage.put("total_tokens", promptTokens);
        return root;
    }

    static ObjectNode error(ApiError e) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        ObjectNode error = root.putObject("error");
        error.put("message", e.getMessage());
        error.put("type", e.type);
        if (e.param == null) {
            error.putNull("param");
        } else {
            error.put("param", e.param);
        }
        if (e.code == null) {
            error.putNull("code");
        } else {
            error.put("code", e.code);
        }
        return root;
    }

    private static ObjectNode envelope(String id, String object, long created, String model) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("id", id);
        root.put("object", object);
        root.put("created", created);
        root.put("model", model);
        root.put("system_fingerprint", FINGERPRINT);
        return root;
    }

    /** A new response id with this prefix ({@code chatcmpl-}, {@code cmpl-}). */
    static String id(String prefix) {
        return prefix + Long.toHexString(System.nanoTime()).toLowerCase(Locale.ROOT)
                + Integer.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextInt());
    }
}
