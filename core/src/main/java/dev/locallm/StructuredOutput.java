package dev.locallm;

import dev.locallm.chat.AssistantMessage;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.ChatResponse;
import dev.locallm.chat.FinishReason;
import dev.locallm.chat.GenerationOptions;
import dev.locallm.chat.ResponseFormat;
import dev.locallm.chat.UserMessage;
import dev.locallm.error.StructuredOutputException;
import dev.locallm.error.TruncatedOutputException;
import dev.locallm.schema.JsonSchema;
import dev.locallm.tool.ToolCall;
import dev.locallm.tool.ToolSpec;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * Structured output around any engine: checks a finished response against the request's response format and tools,
 * and builds the request that re-asks after a failed check. Stateless; thread-safe.
 */
final class StructuredOutput {
    private static final JsonSchema ANY_OBJECT = JsonSchema.parse("{\"type\":\"object\"}");
    /** How many times a reply that failed an assertion left to validation is sampled again. */
    static final int RESAMPLES = 3;
    /** The temperature of a greedy request's samples after the first (llama.cpp's default). */
    private static final double RESAMPLE_TEMPERATURE = 0.8;
    /** The top-k of a greedy request's samples after the first (llama.cpp's default). */
    private static final int RESAMPLE_TOP_K = 40;

    private StructuredOutput() {
    }

    private static JsonSchema schema(ResponseFormat format) {
        return format.schema().orElse(ANY_OBJECT);
    }

    /**
     * Checks a finished response against the request's format.
     *
     * @throws TruncatedOutputException  when JSON was cut short and the policy is to fail
     * @throws StructuredOutputException when the text is not valid for the format
     */
    static void check(ChatRequest request, ChatResponse response) {
        if (request.usesTools()) {
            checkToolCalls(request, response);
        }
        ResponseFormat format = request.responseFormat();
        if (!format.isJson() || response.finishReason() == FinishReason.CANCELLED
                || response.finishReason() == FinishReason.TOOL_CALLS) {
            return;
        }
        List<String> errors = schema(format).validate(response.text());
        if (errors.isEmpty()) {
            return;
        }
        if (response.finishReason() == FinishReason.LENGTH) {
            throw new TruncatedOutputException(response.text());
        }
        throw new StructuredOutputException("The output is not valid " + format, response.text(), errors);
    }

    /**
     * The request that samples a reply again, its {@code n}th time, after one failed an assertion that only
     * validation enforces: a seed set by the caller moves on by {@code n} (the attempts stay reproducible), and a
     * greedy request (temperature 0 or top-k 1), which would write the same reply again, samples at llama.cpp's
     * default temperature and top-k.
     */
    static ChatRequest resampleRequest(ChatRequest request, int n) {
        GenerationOptions o = request.options();
        GenerationOptions.Builder changed = o.toBuilder();
        o.seed().ifPresent(seed -> changed.seed(seed + n));
        if (o.temperature().isPresent() && o.temperature().getAsDouble() == 0) {
            changed.temperature(RESAMPLE_TEMPERATURE);
        }
        if (o.topK().isPresent() && o.topK().getAsInt() == 1) {
            changed.topK(RESAMPLE_TOP_K);
        }
        return request.withOptions(changed.build());
    }

    /**
     * The request to send again after {@code response} failed its check: the conversation plus the invalid
     * reply and a user turn that quotes what was wrong and asks for a valid answer.
     */
    static ChatRequest repairRequest(ChatRequest request, ChatResponse response, StructuredOutputException failure) {
        String errors = failure.errors().isEmpty() ? failure.getMessage() : String.join("; ", failure.errors());
        String ask = request.usesTools() && request.toolChoice().forcesCall()
                ? "That reply is not a valid tool call (" + errors + "). Call "
                        + request.toolChoice().tool().map(t -> "the tool " + t).orElse("one of the tools")
                        + " now, with arguments that match its parameters."
                : "That reply is not valid JSON for the required schema (" + errors + "). Reply again with only "
                        + "the JSON, matching the schema exactly.";
        return request.toBuilder().add(new AssistantMessage(response.text(), response.toolCalls()))
                .add(UserMessage.of(ask)).build();
    }

    /** Whether text cut short may be the start of a call: JSON, or a call block's opening tag. */
    private static boolean startsLikeACall(String text) {
        String t = text.stripLeading();
        return t.isEmpty() || t.charAt(0) == '{' || t.charAt(0) == '[' || t.charAt(0) == '<';
    }

    private static boolean isJsonObject(String text) {
        try {
            return JsonMapper.shared().readTree(text).isObject();
        } catch (JacksonException e) {
            return false;
        }
    }

    /**
     * Checks the calls of a finished response: a forced call is there; each call names a tool and its arguments
     * validate. A reply cut short (LENGTH) is not validated, but a call whose arguments are not a whole JSON object
     * (cut before or inside them, and not closed by the engine under {@code CLOSE_JSON}) is a
     * {@link TruncatedOutputException}, never a call passed on half written.
     */
    private static void checkToolCalls(ChatRequest request, ChatResponse response) {
        FinishReason reason = response.finishReason();
        if (reason == FinishReason.CANCELLED) {
            return;
        }
        if (request.toolChoice().forcesCall() && response.toolCalls().isEmpty()) {
            if (reason == FinishReason.LENGTH && startsLikeACall(response.text())) {
                throw new TruncatedOutputException(response.text());
            }
            throw new StructuredOutputException("tool_choice " + request.toolChoice() + " asked for a tool call and "
                    + "the reply has none: it is text, so nothing enforced the choice", response.text(), List.of());
        }
        if (reason == FinishReason.LENGTH) {
            ToolCall cut = response.toolCalls().stream().filter(c -> !isJsonObject(c.arguments())).findFirst()
                    .orElse(null);
            if (cut != null) {
                throw new TruncatedOutputException(cut.arguments());
            }
            return;
        }
        List<String> errors = new ArrayList<>();
        for (ToolCall call : response.toolCalls()) {
            ToolSpec tool = request.tools().stream().filter(t -> t.name().equals(call.name())).findFirst().orElse(null);
            if (tool == null) {
                errors.add("call " + call.id() + ": no tool is named '" + call.name() + "'");
                continue;
            }
            for (String e : tool.parameters().validate(call.arguments())) {
                errors.add("call " + call.id() + " (" + call.name() + "): " + e);
            }
        }
        if (!errors.isEmpty()) {
            throw new StructuredOutputException("Tool call arguments do not validate", response.text(), errors);
        }
    }
}
