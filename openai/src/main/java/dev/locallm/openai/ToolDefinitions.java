package dev.locallm.openai;

import dev.locallm.error.InvalidRequestException;
import dev.locallm.schema.JsonSchema;
import dev.locallm.tool.ToolCall;
import dev.locallm.tool.ToolChoice;
import dev.locallm.tool.ToolSpec;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Tools as the OpenAI API writes them: {@code {"type": "function", "function": {"name", "description",
 * "parameters"}}} definitions, {@code tool_choice}, and the {@code tool_calls} of an assistant message.
 * Stateless; thread-safe.
 *
 * <pre>{@code
 * List<ToolSpec> tools = ToolDefinitions.readAll(JsonMapper.shared().readTree(json), "tools");
 * }</pre>
 */
public final class ToolDefinitions {
    private ToolDefinitions() {
    }

    /**
     * The tools of a JSON array of definitions; each may also be the bare function object.
     *
     * @param param the parameter the array came in, for errors
     * @throws InvalidRequestException naming the tool and what is wrong with it
     */
    public static List<ToolSpec> readAll(JsonNode array, String param) {
        if (array == null || !array.isArray()) {
            throw new InvalidRequestException("'" + param + "' must be an array of tool definitions", param);
        }
        List<ToolSpec> specs = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            specs.add(read(array.get(i), param + "[" + i + "]", param));
        }
        return specs;
    }

    /** One definition ({@code where} names it in errors). A bare function object is read as well. */
    static ToolSpec read(JsonNode t, String where, String param) {
        if (t == null || !t.isObject()) {
            throw new InvalidRequestException(where + " must be an object", param);
        }
        if (t.has("type") && !"function".equals(t.get("type").asString(""))) {
            throw new InvalidRequestException(where + ".type must be 'function'", param);
        }
        JsonNode f = t.has("function") ? t.get("function") : t;
        if (!f.isObject()) {
            throw new InvalidRequestException(where + ".function must be an object", param);
        }
        String fw = t.has("function") ? where + ".function" : where;
        JsonNode name = f.get("name");
        if (name == null || !name.isString() || name.asString().isEmpty()) {
            throw new InvalidRequestException(fw + ".name must be a non-empty string", param);
        }
        ToolSpec.Builder b = ToolSpec.builder().name(name.asString());
        JsonNode description = Fields.present(f, "description");
        if (description != null) {
            if (!description.isString()) {
                throw new InvalidRequestException(fw + ".description must be a string", param);
            }
            b.description(description.asString());
        }
        JsonNode parameters = Fields.present(f, "parameters");
        if (parameters != null && !parameters.isObject()) {
            throw new InvalidRequestException(fw + ".parameters must be a JSON schema object", param);
        }
        try {
            if (parameters != null) {
                b.parameters(JsonSchema.parse(JsonMapper.shared().writeValueAsString(parameters)));
            }
            return b.build();
        } catch (InvalidRequestException e) {
            throw new InvalidRequestException(where + ": " + e.getMessage(), param);
        }
    }

    /** A definition: {@code {"type": "function", "function": {...}}}. */
    public static ObjectNode write(ToolSpec tool) {
        ObjectNode t = JsonMapper.shared().createObjectNode().put("type", "function");
        ObjectNode f = t.putObject("function");
        f.put("name", tool.name());
        if (!tool.description().isEmpty()) {
            f.put("description", tool.description());
        }
        f.set("parameters", JsonMapper.shared().readTree(tool.parameters().toJson()));
        return t;
    }

    /**
     * A {@code tool_choice}: {@code auto}, {@code none}, {@code required}, or a named function.
     *
     * @throws InvalidRequestException when it is none of those
     */
    public static ToolChoice readChoice(JsonNode c) {
        if (c.isString()) {
            return switch (c.asString()) {
                case "auto" -> ToolChoice.AUTO;
                case "none" -> ToolChoice.NONE;
                case "required" -> ToolChoice.REQUIRED;
                default -> throw new InvalidRequestException("'tool_choice' must be auto, none, required or a function",
                        "tool_choice");
            };
        }
        JsonNode f = c.isObject() ? c.get("function") : null;
        if (f == null || !f.isObject() || !f.has("name") || !f.get("name").isString()) {
            throw new InvalidRequestException("'tool_choice' must be auto, none, required or {\"type\": \"function\", "
                    + "\"function\": {\"name\": ...}}", "tool_choice");
        }
        return ToolChoice.named(f.get("name").asString());
    }

    /** A {@code tool_choice} value. */
    public static JsonNode writeChoice(ToolChoice choice) {
        return switch (choice.mode()) {
            case AUTO -> JsonMapper.shared().getNodeFactory().stringNode("auto");
            case NONE -> JsonMapper.shared().getNodeFactory().stringNode("none");
            case REQUIRED -> JsonMapper.shared().getNodeFactory().stringNode("required");
            case NAMED -> {
                ObjectNode named = JsonMapper.shared().createObjectNode().put("type", "function");
                named.putObject("function").put("name", choice.tool().orElseThrow());
                yield named;
            }
        };
    }

    /** The {@code tool_calls} array of an assistant message. */
    public static ArrayNode writeCalls(List<ToolCall> calls) {
        ArrayNode array = JsonMapper.shared().createArrayNode();
        for (ToolCall c : calls) {
            ObjectNode call = array.addObject().put("id", c.id()).put("type", "function");
            call.putObject("function").put("name", c.name()).put("arguments", c.arguments());
        }
        return array;
    }

    /**
     * The calls of a {@code tool_calls} array ({@code where} names it in errors); arguments sent as a JSON object
     * rather than a string are serialized, and absent ones are {@code {}}.
     */
    static List<ToolCall> readCalls(JsonNode toolCalls, String where, String param) {
        if (!toolCalls.isArray()) {
            throw new InvalidRequestException(where + " must be an array", param);
        }
        List<ToolCall> calls = new ArrayList<>();
        for (int i = 0; i < toolCalls.size(); i++) {
            JsonNode c = toolCalls.get(i);
            String cw = where + "[" + i + "]";
            if (!c.isObject()) {
                throw new InvalidRequestException(cw + " must be an object", param);
            }
            JsonNode id = c.get("id");
            if (id == null || !id.isString() || id.asString().isEmpty()) {
                throw new InvalidRequestException(cw + ".id must be a non-empty string", param);
            }
            JsonNode function = c.get("function");
            if (function == null || !function.isObject()) {
                throw new InvalidRequestException(cw + ".function must be an object", param);
            }
            JsonNode name = function.get("name");
            if (name == null || !name.isString() || name.asString().isEmpty()) {
                throw new InvalidRequestException(cw + ".function.name must be a non-empty string", param);
            }
            JsonNode args = Fields.present(function, "arguments");
            calls.add(new ToolCall(id.asString(), name.asString(), args == null ? "{}"
                    : args.isString() ? args.asString() : JsonMapper.shared().writeValueAsString(args)));
        }
        return calls;
    }
}
