package dev.locallm.openai;

import dev.locallm.chat.ChatResponse;
import dev.locallm.chat.FinishReason;
import dev.locallm.chat.Usage;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Whole chat completion responses ({@code chat.completion}), the finish reasons and usage they carry, and the
 * envelope every response object shares. Stateless; thread-safe.
 */
public final class ChatCompletions {
    /** The {@code system_fingerprint} LocaLLM writes. */
    public static final String FINGERPRINT = "locallm";

    private ChatCompletions() {
    }

    /** OpenAI's finish reason; a cancelled generation reads as {@code stop}. */
    public static String finishReason(FinishReason reason) {
        return switch (reason) {
            case STOP, CANCELLED -> "stop";
            case LENGTH -> "length";
            case TOOL_CALLS -> "tool_calls";
        };
    }

    /**
     * The finish reason a server wrote: the names servers use for a length cut and for tool calls, else
     * {@link FinishReason#STOP}.
     */
    public static FinishReason finishReason(String reason) {
        return switch (reason) {
            case "length", "max_tokens", "model_length" -> FinishReason.LENGTH;
            case "tool_calls", "function_call" -> FinishReason.TOOL_CALLS;
            default -> FinishReason.STOP;
        };
    }

    /** A {@code chat.completion}: the message (content {@code null} for a turn of calls only), reason, usage. */
    public static ObjectNode write(String id, long created, String model, ChatResponse r) {
        ObjectNode root = envelope(id, "chat.completion", created, model);
        ObjectNode message = JsonMapper.shared().createObjectNode();
        message.put("role", "assistant");
        if (r.text().isEmpty() && !r.toolCalls().isEmpty()) {
            message.putNull("content");
        } else {
            message.put("content", r.text());
        }
        message.putNull("refusal");
        if (!r.toolCalls().isEmpty()) {
            message.set("tool_calls", ToolDefinitions.writeCalls(r.toolCalls()));
        }
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        choice.set("message", message);
        choice.putNull("logprobs");
        choice.put("finish_reason", finishReason(r.finishReason()));
        root.set("usage", writeUsage(r.usage()));
        return root;
    }

    /** {@code {"prompt_tokens", "completion_tokens", "total_tokens"}}. */
    public static ObjectNode writeUsage(Usage u) {
        ObjectNode usage = JsonMapper.shared().createObjectNode();
        usage.put("prompt_tokens", u.promptTokens());
        usage.put("completion_tokens", u.completionTokens());
        usage.put("total_tokens", u.totalTokens());
        return usage;
    }

    /** A new response id with this prefix ({@code chatcmpl-}, {@code cmpl-}). */
    public static String newId(String prefix) {
        return prefix + Long.toHexString(System.nanoTime()).toLowerCase(Locale.ROOT)
                + Integer.toHexString(ThreadLocalRandom.current().nextInt());
    }

    /** The fields every response object starts with. */
    static ObjectNode envelope(String id, String object, long created, String model) {
        ObjectNode root = JsonMapper.shared().createObjectNode();
        root.put("id", id);
        root.put("object", object);
        root.put("created", created);
        root.put("model", model);
        root.put("system_fingerprint", FINGERPRINT);
        return root;
    }
}
