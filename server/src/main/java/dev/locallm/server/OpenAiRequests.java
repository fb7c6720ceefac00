package dev.locallm.server;

import dev.locallm.chat.AssistantMessage;
import dev.locallm.chat.ChatMessage;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.GenerationOptions;
import dev.locallm.chat.ResponseFormat;
import dev.locallm.chat.TruncationPolicy;
import dev.locallm.chat.SystemMessage;
import dev.locallm.chat.ToolResultMessage;
import dev.locallm.chat.UserMessage;
import dev.locallm.error.InvalidRequestException;
import dev.locallm.internal.Json;
import dev.locallm.schema.JsonSchema;
import dev.locallm.tool.ToolCall;
import dev.locallm.tool.ToolChoice;
import dev.locallm.tool.ToolSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * Reads OpenAI requests into LocaLLM types, strictly: every field we read has its type checked, and anything
 * wrong is an {@link ApiError} naming the parameter. Unknown fields are ignored, as OpenAI clients send many.
 * Stateless; thread-safe.
 */
final class OpenAiRequests {
    private static final List<String> ROLES = List.of("system", "developer", "user", "assistant", "tool");
    /** OpenAI's default {@code max_tokens} for legacy completions. */
    private static final int DEFAULT_COMPLETION_TOKENS = 16;

    /** Limits on what one request may carry. */
    record Limits(int maxMessages, int maxTools, int maxTokens) { }

    /**
     * A chat completion request.
     *
     * @param model        the model name asked for
     * @param request      the LocaLLM request
     * @param stream       whether to answer with server-sent events
     * @param includeUsage whether a streamed answer ends with a usage chunk
     */
    record Chat(String model, ChatRequest request, boolean stream, boolean includeUsage) { }

    /** A parsed {@code /v1/completions} request. */
    record Completion(String model, String prompt, GenerationOptions options, boolean stream, boolean includeUsage,
            boolean echo) { }

    /** A parsed {@code /v1/embeddings} request. */
    record Embeddings(String model, List<String> inputs, boolean base64) { }

    private OpenAiRequests() {
    }

    static JsonNode parse(String body) {
        JsonNode node;
        try {
            node = Json.MAPPER.readTree(body);
        } catch (JacksonException e) {
            throw ApiError.invalid("The request body is not valid JSON: " + e.getOriginalMessage(), null);
        }
        if (node == null || !node.isObject()) {
            throw ApiError.invalid("The request body must be a JSON object", null);
        }
        return node;
    }

    static Chat chat(JsonNode body, Limits limits) {
        String model = requiredString(body, "model");
        JsonNode messages = body.get("messages");
        if (messages == null || !messages.isArray()) {
            throw ApiError.invalid("'messages' must be an array of messages", "messages");
        }
        if (messages.isEmpty()) {
            throw ApiError.invalid("'messages' must not be empty", "messages");
        }
        if (messages.size() > limits.maxMessages()) {
            throw ApiError.invalid("at most " + limits.maxMessages() + " messages are allowed", "messages");
        }
        ChatRequest.Builder b = ChatRequest.builder();
        Map<String, String> callNames = new HashMap<>();
        for (int i = 0; i < messages.size(); i++) {
            b.add(message(messages.get(i), "messages[" + i + "]", callNames));
        }
        b.options(options(body, limits));
        ResponseFormat format = responseFormat(body.get("response_format"));
        b.responseFormat(format);
        JsonNode tools = body.get("tools");
        if (tools != null && !tools.isNull()) {
            if (!tools.isArray()) {
                throw ApiError.invalid("'tools' must be an array", "tools");
            }
            if (tools.size() > limits.maxTools()) {
                throw ApiError.invalid("at most " + limits.maxTools() + " tools are allowed", "tools");
            }
            List<ToolSpec> specs = new ArrayList<>();
            for (int i = 0; i < tools.size(); i++) {
                specs.add(tool(tools.get(i), "tools[" + i + "]"));
            }
            b.tools(specs);
        }
        JsonNode choice = body.get("tool_choice");
        if (choice != null && !choice.isNull()) {
            b.toolChoice(toolChoice(choice));
        }
        rejectUnsupported(body, List.of("logprobs", "logit_bias", "top_logprobs"));
        boolean stream = optionalBoolean(body, "stream", false);
        boolean includeUsage = includeUsage(body);
        JsonNode truncation = body.get("truncation");
        if (truncation != null && !truncation.isNull()) {
            b.truncationPolicy(switch (truncation.isString() ? truncation.asString() : "") {
                case "fail" -> TruncationPolicy.FAIL;
                case "close_json" -> TruncationPolicy.CLOSE_JSON;
                default -> throw ApiError.invalid("'truncation' must be fail or close_json", "truncation");
            });
        }
        try {
            return new Chat(model, b.build(), stream, includeUsage);
        } catch (InvalidRequestException e) {
            throw ApiError.invalid(e.getMessage(), e.parameter().isEmpty() ? null : e.parameter());
        }
    }

    /**
     * A legacy completion: the prompt (a string, or an array of one string), the options, and {@code max_tokens}
     * 16 when absent, as OpenAI does.
     */
    static Completion completion(JsonNode body, Limits limits) {
        String model = requiredString(body, "model");
        JsonNode p = body.get("prompt");
        if (p != null && p.isArray() && p.size() == 1) {
            p = p.get(0);
        }
        if (p == null || !p.isString()) {
            throw ApiError.invalid("'prompt' must be a string (or an array of one string; token arrays and batches "
                    + "are not supported)", "prompt");
        }
        rejectUnsupported(body, List.of("logprobs", "logit_bias", "suffix"));
        if (optionalInt(body, "best_of", 1) != 1) {
            throw ApiError.invalid("only best_of=1 is supported", "best_of");
        }
        GenerationOptions options = options(body, limits);
        if (options.maxTokens().isEmpty()) {
            options = options.overriddenBy(GenerationOptions.of(o -> o.maxTokens(DEFAULT_COMPLETION_TOKENS)));
        }
        return new Completion(model, p.asString(), options, optionalBoolean(body, "stream", false),
                includeUsage(body), optionalBoolean(body, "echo", false));
    }

    /** Refuses {@code n} other than 1, non-zero OpenAI penalties, and these fields unless null or false. */
    private static void rejectUnsupported(JsonNode body, List<String> fields) {
        if (optionalInt(body, "n", 1) != 1) {
            throw ApiError.invalid("only n=1 is supported", "n");
        }
        for (String unsupported : fields) {
            JsonNode v = body.get(unsupported);
            if (v != null && !v.isNull() && !(v.isBoolean() && !v.booleanValue())) {
                throw ApiError.invalid("'" + unsupported + "' is not supported", unsupported);
            }
        }
        for (String penalty : List.of("frequency_penalty", "presence_penalty")) {
            JsonNode v = body.get(penalty);
            if (v != null && !v.isNull() && (!v.isNumber() || v.asDouble() != 0)) {
                throw ApiError.invalid("'" + penalty + "' is not supported (only 0); use repeat_penalty", penalty);
            }
        }
    }

    private static boolean includeUsage(JsonNode body) {
        JsonNode streamOptions = body.get("stream_options");
        if (streamOptions == null || streamOptions.isNull()) {
            return false;
        }
        if (!streamOptions.isObject()) {
            throw ApiError.invalid("'stream_options' must be an object", "stream_options");
        }
        return optionalBoolean(streamOptions, "include_usage", false);
    }

    private static ChatMessage message(JsonNode m, String where, Map<String, String> callNames) {
        if (!m.isObject()) {
            throw ApiError.invalid(where + " must be an object", "messages");
        }
        JsonNode roleNode = m.get("role");
        if (roleNode == null || !roleNode.isString()) {
            throw ApiError.invalid(where + ".role must be a string", "messages");
        }
        String role = roleNode.asString();
        if (!ROLES.contains(role)) {
            throw ApiError.invalid(where + ".role '" + role + "' is not one of " + ROLES, "messages");
        }
        String content = content(m.get("content"), where, role.equals("assistant"));
        return switch (role) {
            case "system", "developer" -> SystemMessage.of(content);
            case "user" -> UserMessage.of(content);
            case "tool" -> {
                JsonNode id = m.get("tool_call_id");
                if (id == null || !id.isString()) {
                    throw ApiError.invalid(where + ".tool_call_id must be a string", "messages");
                }
                if (!callNames.containsKey(id.asString())) {
                    throw ApiError.invalid(where + ".tool_call_id '" + id.asString() + "' answers no tool call of an "
                            + "earlier assistant message", "messages");
                }
                String name = callNames.get(id.asString());
                yield ToolResultMessage.of(id.asString(), name, content);
            }
            default -> {
                List<ToolCall> calls = new ArrayList<>();
                JsonNode toolCalls = m.get("tool_calls");
                if (toolCalls != null && !toolCalls.isNull()) {
                    if (!toolCalls.isArray()) {
                        throw ApiError.invalid(where + ".tool_calls must be an array", "messages");
                    }
                    for (int i = 0; i < toolCalls.size(); i++) {
                        JsonNode c = toolCalls.get(i);
                        String cw = where + ".tool_calls[" + i + "]";
                        String id = requiredString(c, "id", cw);
                        JsonNode function = c.get("function");
                        if (function == null || !function.isObject()) {
                            throw ApiError.invalid(cw + ".function must be an object", "messages");
                        }
                        String name = requiredString(function, "name", cw + ".function");
                        JsonNode args = function.get("arguments");
                        String arguments = args == null || args.isNull() ? "{}"
                                : args.isString() ? args.asString() : Json.MAPPER.writeValueAsString(args);
                        calls.add(new ToolCall(id, name, arguments));
                        callNames.put(id, name);
                    }
                }
                yield new AssistantMessage(content, calls);
            }
        };
    }

    /** A string, or an array of text parts; {@code null} only for assistant turns. */
    private static String content(JsonNode c, String where, boolean nullable) {
        if (c == null || c.isNull()) {
            if (nullable) {
                return "";
            }
            throw ApiError.invalid(where + ".content is required", "messages");
        }
        if (c.isString()) {
            return c.asString();
        }
        if (!c.isArray()) {
            throw ApiError.invalid(where + ".content must be a string or an array of content parts", "messages");
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < c.size(); i++) {
            JsonNode part = c.get(i);
            String type = part.isObject() && part.has("type") ? part.get("type").asString("") : "";
            if (!type.equals("text")) {
                throw ApiError.invalid(where + ".content[" + i + "]: only 'text' parts are supported, got '" + type + "'",
                        "messages");
            }
            JsonNode text = part.get("text");
            if (text == null || !text.isString()) {
                throw ApiError.invalid(where + ".content[" + i + "].text must be a string", "messages");
            }
            sb.append(text.asString());
        }
        return sb.toString();
    }

    private static GenerationOptions options(JsonNode body, Limits limits) {
        GenerationOptions.Builder o = GenerationOptions.builder();
        Double temperature = optionalDouble(body, "temperature");
        if (temperature != null) {
            if (temperature < 0 || temperature > 2) {
                throw ApiError.invalid("'temperature' must be between 0 and 2", "temperature");
            }
            o.temperature(temperature);
        }
        Double topP = optionalDouble(body, "top_p");
        if (topP != null) {
            if (topP <= 0 || topP > 1) {
                throw ApiError.invalid("'top_p' must be in (0, 1]", "top_p");
            }
            o.topP(topP);
        }
        Integer topK = optionalInteger(body, "top_k");
        if (topK != null) {
            o.topK(topK);
        }
        Double minP = optionalDouble(body, "min_p");
        if (minP != null) {
            o.minP(minP);
        }
        Double repeat = optionalDouble(body, "repeat_penalty");
        if (repeat != null) {
            o.repeatPenalty(repeat);
        }
        Integer maxTokens = null;
        for (String maxParam : List.of("max_completion_tokens", "max_tokens")) {
            Integer max = optionalInteger(body, maxParam);
            if (max != null && (max < 1 || max > limits.maxTokens())) {
                throw ApiError.invalid("'" + maxParam + "' must be between 1 and " + limits.maxTokens(), maxParam);
            }
            if (max != null) {
                maxTokens = maxTokens == null ? max : Math.min(maxTokens, max);
            }
        }
        if (maxTokens != null) {
            o.maxTokens(maxTokens);
        }
        JsonNode seed = body.get("seed");
        if (seed != null && !seed.isNull()) {
            if (!seed.isIntegralNumber() || !seed.canConvertToLong()) {
                throw ApiError.invalid("'seed' must be an integer", "seed");
            }
            o.seed(seed.asLong());
        }
        JsonNode stop = body.get("stop");
        if (stop != null && !stop.isNull()) {
            List<String> stops = new ArrayList<>();
            if (stop.isString()) {
                stops.add(stop.asString());
            } else if (stop.isArray()) {
                for (JsonNode s : stop) {
                    if (!s.isString()) {
                        throw ApiError.invalid("'stop' must be a string or an array of strings", "stop");
                    }
                    stops.add(s.asString());
                }
            } else {
                throw ApiError.invalid("'stop' must be a string or an array of strings", "stop");
            }
            o.stop(stops);
        }
        try {
            return o.build();
        } catch (InvalidRequestException e) {
            throw ApiError.invalid(e.getMessage(), e.parameter());
        }
    }

    private static ResponseFormat responseFormat(JsonNode f) {
        if (f == null || f.isNull()) {
            return ResponseFormat.TEXT;
        }
        if (!f.isObject() || !f.has("type") || !f.get("type").isString()) {
            throw ApiError.invalid("'response_format' must be an object with a 'type'", "response_format");
        }
        return switch (f.get("type").asString()) {
            case "text" -> ResponseFormat.TEXT;
            case "json_object" -> ResponseFormat.JSON_OBJECT;
            case "json_schema" -> {
                JsonNode js = f.get("json_schema");
                if (js == null || !js.isObject()) {
                    throw ApiError.invalid("'response_format.json_schema' must be an object", "response_format");
                }
                JsonNode schema = js.get("schema");
                if (schema == null || !(schema.isObject() || schema.isBoolean())) {
                    throw ApiError.invalid("'response_format.json_schema.schema' must be a JSON schema", "response_format");
                }
                String name = js.has("name") && js.get("name").isString() ? js.get("name").asString() : "response";
                try {
                    yield ResponseFormat.jsonSchema(name, JsonSchema.parse(Json.MAPPER.writeValueAsString(schema)));
                } catch (InvalidRequestException e) {
                    throw ApiError.invalid("'response_format.json_schema.schema': " + e.getMessage(),
                            "response_format");
                }
            }
            default -> throw ApiError.invalid("'response_format.type' must be text, json_object or json_schema",
                    "response_format");
        };
    }

    private static ToolSpec tool(JsonNode t, String where) {
        if (!t.isObject()) {
            throw ApiError.invalid(where + " must be an object", "tools");
        }
        if (t.has("type") && !"function".equals(t.get("type").asString(""))) {
            throw ApiError.invalid(where + ".type must be 'function'", "tools");
        }
        JsonNode f = t.get("function");
        if (f == null || !f.isObject()) {
            throw ApiError.invalid(where + ".function must be an object", "tools");
        }
        ToolSpec.Builder b = ToolSpec.builder().name(requiredString(f, "name", where + ".function"));
        if (f.has("description") && !f.get("description").isNull()) {
            if (!f.get("description").isString()) {
                throw ApiError.invalid(where + ".function.description must be a string", "tools");
            }
            b.description(f.get("description").asString());
        }
        JsonNode parameters = f.get("parameters");
        if (parameters != null && !parameters.isNull()) {
            if (!parameters.isObject()) {
                throw ApiError.invalid(where + ".function.parameters must be a JSON schema object", "tools");
            }
        }
        try {
            if (parameters != null && !parameters.isNull()) {
                b.parameters(JsonSchema.parse(Json.MAPPER.writeValueAsString(parameters)));
            }
            return b.build();
        } catch (InvalidRequestException e) {
            throw ApiError.invalid(where + ": " + e.getMessage(), "tools");
        }
    }

    private static ToolChoice toolChoice(JsonNode c) {
        if (c.isString()) {
            return switch (c.asString()) {
                case "auto" -> ToolChoice.AUTO;
                case "none" -> ToolChoice.NONE;
                case "required" -> ToolChoice.REQUIRED;
                default -> throw ApiError.invalid("'tool_choice' must be auto, none, required or a function",
                        "tool_choice");
            };
        }
        JsonNode f = c.isObject() ? c.get("function") : null;
        if (f == null || !f.isObject() || !f.has("name") || !f.get("name").isString()) {
            throw ApiError.invalid("'tool_choice' must be auto, none, required or {\"type\": \"function\", "
                    + "\"function\": {\"name\": ...}}", "tool_choice");
        }
        return ToolChoice.named(f.get("name").asString());
    }

    static Embeddings embeddings(JsonNode body) {
        String model = requiredString(body, "model");
        JsonNode input = body.get("input");
        List<String> inputs = new ArrayList<>();
        if (input != null && input.isString()) {
            inputs.add(input.asString());
        } else if (input != null && input.isArray() && !input.isEmpty()) {
            for (JsonNode i : input) {
                if (!i.isString()) {
                    throw ApiError.invalid("'input' must be a string or an array of strings (token arrays are not "
                            + "supported)", "input");
                }
                inputs.add(i.asString());
            }
        } else {
            throw ApiError.invalid("'input' must be a non-empty string or array of strings", "input");
        }
        if (inputs.size() > 2048) {
            throw ApiError.invalid("at most 2048 inputs are allowed", "input");
        }
        for (String s : inputs) {
            if (s.isEmpty()) {
                throw ApiError.invalid("'input' must not contain empty strings", "input");
            }
        }
        String encoding = body.has("encoding_format") ? body.get("encoding_format").asString("") : "float";
        if (!encoding.equals("float") && !encoding.equals("base64")) {
            throw ApiError.invalid("'encoding_format' must be float or base64", "encoding_format");
        }
        return new Embeddings(model, inputs, encoding.equals("base64"));
    }

    private static String requiredString(JsonNode node, String field) {
        return requiredString(node, field, null);
    }

    private static String requiredString(JsonNode node, String field, String where) {
        JsonNode v = node.get(field);
        if (v == null || !v.isString() || v.asString().isEmpty()) {
            String name = where == null ? "'" + field + "'" : where + "." + field;
            throw ApiError.invalid(name + " must be a non-empty string", where == null ? field
                    : where.substring(0, where.indexOf('[')));
        }
        return v.asString();
    }

    private static Double optionalDouble(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isNumber() || !Double.isFinite(v.asDouble())) {
            throw ApiError.invalid("'" + field + "' must be a number", field);
        }
        return v.asDouble();
    }

    private static Integer optionalInteger(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw ApiError.invalid("'" + field + "' must be an integer", field);
        }
        return v.asInt();
    }

    private static int optionalInt(JsonNode body, String field, int absent) {
        Integer v = optionalInteger(body, field);
        return v == null ? absent : v;
    }

    private static boolean optionalBoolean(JsonNode body, String field, boolean absent) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return absent;
        }
        if (!v.isBoolean()) {
            throw ApiError.invalid("'" + field + "' must be a boolean", field);
        }
        return v.booleanValue();
    }
}
