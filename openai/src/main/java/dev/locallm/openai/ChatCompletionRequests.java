package dev.locallm.openai;

import dev.locallm.chat.ChatMessage;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.ResponseFormat;
import dev.locallm.chat.TruncationPolicy;
import dev.locallm.error.InvalidRequestException;
import dev.locallm.schema.JsonSchema;
import dev.locallm.tool.ToolSpec;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Chat completion request bodies ({@code POST /v1/chat/completions}): read strictly into a {@link ChatRequest}
 * (every field read has its type checked; unknown fields are ignored, as OpenAI clients send many), and written
 * from one. Stateless; thread-safe.
 *
 * <pre>{@code
 * ChatCompletionRequest read = ChatCompletionRequests.read(body, limits);   // a server
 * ObjectNode sent = ChatCompletionRequests.write(request, "qwen2.5");       // a client
 * }</pre>
 */
public final class ChatCompletionRequests {
    private ChatCompletionRequests() {
    }

    /**
     * Reads a request body. Besides OpenAI's fields it takes llama.cpp's {@code top_k}, {@code min_p} and
     * {@code repeat_penalty}, and LocaLLM's {@code truncation} ({@code fail} or {@code close_json}).
     *
     * @throws InvalidRequestException naming the parameter that is wrong, or that asks for what LocaLLM does not do
     *                                 ({@code n} above 1, logprobs, logit bias, OpenAI's penalties)
     */
    public static ChatCompletionRequest read(JsonNode body, RequestLimits limits) {
        String model = Fields.requiredString(body, "model");
        JsonNode messages = body.get("messages");
        if (messages == null || !messages.isArray()) {
            throw new InvalidRequestException("'messages' must be an array of messages", "messages");
        }
        if (messages.isEmpty()) {
            throw new InvalidRequestException("'messages' must not be empty", "messages");
        }
        if (messages.size() > limits.maxMessages()) {
            throw new InvalidRequestException("at most " + limits.maxMessages() + " messages are allowed", "messages");
        }
        ChatRequest.Builder b = ChatRequest.builder();
        Map<String, String> callNames = new HashMap<>();
        for (int i = 0; i < messages.size(); i++) {
            b.add(Messages.read(messages.get(i), "messages[" + i + "]", callNames));
        }
        b.options(GenerationParameters.read(body, limits));
        b.responseFormat(readResponseFormat(Fields.present(body, "response_format")));
        JsonNode tools = Fields.present(body, "tools");
        if (tools != null) {
            if (tools.isArray() && tools.size() > limits.maxTools()) {
                throw new InvalidRequestException("at most " + limits.maxTools() + " tools are allowed", "tools");
            }
            b.tools(ToolDefinitions.readAll(tools, "tools"));
        }
        JsonNode choice = Fields.present(body, "tool_choice");
        if (choice != null) {
            b.toolChoice(ToolDefinitions.readChoice(choice));
        }
        GenerationParameters.rejectUnsupported(body, List.of("logprobs", "logit_bias", "top_logprobs"));
        boolean stream = Fields.optionalBoolean(body, "stream", false);
        boolean includeUsage = GenerationParameters.includeUsage(body);
        JsonNode truncation = Fields.present(body, "truncation");
        if (truncation != null) {
            b.truncationPolicy(switch (truncation.isString() ? truncation.asString() : "") {
                case "fail" -> TruncationPolicy.FAIL;
                case "close_json" -> TruncationPolicy.CLOSE_JSON;
                default -> throw new InvalidRequestException("'truncation' must be fail or close_json", "truncation");
            });
        }
        return new ChatCompletionRequest(model, b.build(), stream, includeUsage);
    }

    private static ResponseFormat readResponseFormat(JsonNode f) {
        if (f == null) {
            return ResponseFormat.TEXT;
        }
        if (!f.isObject() || !f.has("type") || !f.get("type").isString()) {
            throw new InvalidRequestException("'response_format' must be an object with a 'type'", "response_format");
        }
        return switch (f.get("type").asString()) {
            case "text" -> ResponseFormat.TEXT;
            case "json_object" -> ResponseFormat.JSON_OBJECT;
            case "json_schema" -> {
                JsonNode js = f.get("json_schema");
                if (js == null || !js.isObject()) {
                    throw new InvalidRequestException("'response_format.json_schema' must be an object",
                            "response_format");
                }
                JsonNode schema = js.get("schema");
                if (schema == null || !(schema.isObject() || schema.isBoolean())) {
                    throw new InvalidRequestException("'response_format.json_schema.schema' must be a JSON schema",
                            "response_format");
                }
                String name = js.has("name") && js.get("name").isString() ? js.get("name").asString() : "response";
                try {
                    yield ResponseFormat.jsonSchema(name, JsonSchema.parse(JsonMapper.shared().writeValueAsString(schema)));
                } catch (InvalidRequestException e) {
                    throw new InvalidRequestException("'response_format.json_schema.schema': " + e.getMessage(),
                            "response_format");
                }
            }
            default -> throw new InvalidRequestException("'response_format.type' must be text, json_object or "
                    + "json_schema", "response_format");
        };
    }

    /**
     * Writes a request body in OpenAI's own terms: the messages, the options that are set (the first four stop
     * sequences), the tools and {@code tool_choice} when the request uses tools, and the response format as
     * {@code response_format} (a strict {@code json_schema}, or {@code json_object}). No {@code stream} field: the
     * caller adds what its server needs.
     */
    public static ObjectNode write(ChatRequest request, String model) {
        ObjectNode body = JsonMapper.shared().createObjectNode();
        body.put("model", model);
        ArrayNode messages = body.putArray("messages");
        for (ChatMessage m : request.messages()) {
            messages.add(Messages.write(m));
        }
        GenerationParameters.write(body, request.options());
        if (request.usesTools()) {
            ArrayNode tools = body.putArray("tools");
            for (ToolSpec t : request.tools()) {
                tools.add(ToolDefinitions.write(t));
            }
            body.set("tool_choice", ToolDefinitions.writeChoice(request.toolChoice()));
        }
        ResponseFormat format = request.responseFormat();
        if (format.isJson()) {
            ObjectNode rf = body.putObject("response_format");
            if (format.type() == ResponseFormat.Type.JSON_SCHEMA) {
                rf.put("type", "json_schema");
                ObjectNode js = rf.putObject("json_schema");
                js.put("name", format.name());
                js.set("schema", JsonMapper.shared().readTree(format.schema().orElseThrow().toJson()));
                js.put("strict", true);
            } else {
                rf.put("type", "json_object");
            }
        }
        return body;
    }
}
