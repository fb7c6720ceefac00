package dev.locallm.openai;

import dev.locallm.chat.GenerationOptions;
import dev.locallm.chat.Usage;
import dev.locallm.error.InvalidRequestException;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Legacy text completions ({@code /v1/completions}): requests read and written, {@code text_completion} objects
 * written (whole, or streamed as the same object type). Stateless; thread-safe.
 */
public final class Completions {
    /** OpenAI's default {@code max_tokens} for legacy completions. */
    private static final int DEFAULT_COMPLETION_TOKENS = 16;

    private Completions() {
    }

    /**
     * Reads a request: the prompt (a string, or an array of one string), the options, and {@code max_tokens} 16
     * when absent, as OpenAI does.
     *
     * @throws InvalidRequestException naming the parameter that is wrong or unsupported
     */
    public static CompletionRequest readRequest(JsonNode body, RequestLimits limits) {
        String model = Fields.requiredString(body, "model");
        JsonNode p = body.get("prompt");
        if (p != null && p.isArray() && p.size() == 1) {
            p = p.get(0);
        }
        if (p == null || !p.isString()) {
            throw new InvalidRequestException("'prompt' must be a string (or an array of one string; token arrays and "
                    + "batches are not supported)", "prompt");
        }
        GenerationParameters.rejectUnsupported(body, List.of("logprobs", "logit_bias", "suffix"));
        if (Fields.optionalInt(body, "best_of", 1) != 1) {
            throw new InvalidRequestException("only best_of=1 is supported", "best_of");
        }
        GenerationOptions options = GenerationParameters.read(body, limits);
        if (options.maxTokens().isEmpty()) {
            options = options.overriddenBy(GenerationOptions.of(o -> o.maxTokens(DEFAULT_COMPLETION_TOKENS)));
        }
        return new CompletionRequest(model, p.asString(), options, Fields.optionalBoolean(body, "stream", false),
                GenerationParameters.includeUsage(body), Fields.optionalBoolean(body, "echo", false));
    }

    /** Writes a request for a raw prompt with the options that are set; no {@code stream} field. */
    public static ObjectNode writeRequest(String prompt, GenerationOptions options, String model) {
        ObjectNode body = JsonMapper.shared().createObjectNode();
        body.put("model", model);
        body.put("prompt", prompt);
        GenerationParameters.write(body, options);
        return body;
    }

    /**
     * A {@code text_completion} object: a whole response (with usage), or a streamed piece (usage {@code null}, and
     * the field only written when {@code usageField}).
     *
     * @param finishReason OpenAI's finish reason, or {@code null} on a piece that has none
     * @param usage        the usage of a whole response, or {@code null}
     */
    public static ObjectNode write(String id, long created, String model, String text, String finishReason,
            Usage usage, boolean usageField) {
        ObjectNode root = ChatCompletions.envelope(id, "text_completion", created, model);
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
            root.set("usage", ChatCompletions.writeUsage(usage));
        } else if (usageField) {
            root.putNull("usage");
        }
        return root;
    }
}
