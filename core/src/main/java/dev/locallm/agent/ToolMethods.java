package dev.locallm.agent;

import dev.locallm.chat.ToolResultMessage;
import dev.locallm.error.InvalidRequestException;
import dev.locallm.schema.Description;
import dev.locallm.schema.JsonSchema;
import dev.locallm.tool.Tool;
import dev.locallm.tool.ToolCall;
import dev.locallm.tool.ToolSpec;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JavaType;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The {@link Tool}-annotated methods of an object: their {@link ToolSpec}s for a request, and a way to run the
 * calls the model makes. Immutable after construction; thread-safe if the target object is.
 *
 * <pre>{@code
 * ToolMethods tools = ToolMethods.of(new WeatherTools());
 * ChatResponse r = model.chat(ChatRequest.builder().user("Weather in Paris?").tools(tools.specs()).build());
 * for (ToolCall call : r.toolCalls()) {
 *     messages.add(tools.execute(call));      // a ToolResultMessage to send back
 * }
 * }</pre>
 *
 * <p>Arguments are mapped from the call's JSON to the parameters' Java types; {@code Optional} parameters are
 * not required. A tool's result is sent back as JSON (a {@code String} result as it is); an exception thrown
 * by the tool becomes {@code {"error": "..."}}, so that the model can react.
 */
public final class ToolMethods {
    private record Entry(ToolSpec spec, Method method, List<String> names, List<Type> types) { }

    private final Object target;
    private final Map<String, Entry> tools;

    private ToolMethods(Object target, Map<String, Entry> tools) {
        this.target = target;
        this.tools = tools;
    }

    /**
     * The tools of {@code target}.
     *
     * @throws InvalidRequestException when it has none, or two with one name
     */
    public static ToolMethods of(Object target) {
        Map<String, Entry> tools = new LinkedHashMap<>();
        for (Class<?> c = target.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
            for (Method m : c.getDeclaredMethods()) {
                Tool tool = m.getAnnotation(Tool.class);
                if (tool == null) {
                    continue;
                }
                m.setAccessible(true);
                Entry e = entry(m, tool);
                if (tools.putIfAbsent(e.spec().name(), e) != null) {
                    throw new InvalidRequestException("two tools are named '" + e.spec().name() + "'", "tools");
                }
            }
        }
        if (tools.isEmpty()) {
            throw new InvalidRequestException(target.getClass().getName() + " has no @Tool methods", "tools");
        }
        return new ToolMethods(target, tools);
    }

    private static Entry entry(Method m, Tool tool) {
        Parameter[] parameters = m.getParameters();
        List<String> names = new ArrayList<>();
        List<Type> types = new ArrayList<>();
        ObjectNode properties = JsonMapper.shared().createObjectNode();
        ObjectNode defs = JsonMapper.shared().createObjectNode();
        List<String> required = new ArrayList<>();
        for (int i = 0; i < parameters.length; i++) {
            Parameter p = parameters[i];
            String name = i < tool.parameterNames().length ? tool.parameterNames()[i] : p.getName();
            names.add(name);
            types.add(p.getParameterizedType());
            boolean optional = p.getType() == Optional.class;
            Type schemaType = optional ? ((java.lang.reflect.ParameterizedType) p.getParameterizedType())
                    .getActualTypeArguments()[0] : p.getParameterizedType();
            ObjectNode schema = (ObjectNode) JsonMapper.shared().readTree(JsonSchema.from(schemaType).toJson());
            JsonNode parameterDefs = schema.remove("$defs");
            if (parameterDefs != null) {
                for (String def : parameterDefs.propertyNames()) {
                    if (defs.has(def) && !defs.get(def).equals(parameterDefs.get(def))) {
                        throw new InvalidRequestException("tool '" + m.getName() + "': two parameter types define '"
                                + def + "' differently", "tools");
                    }
                    defs.set(def, parameterDefs.get(def));
                }
            }
            retargetRootReferences(schema, "#/properties/" + name);
            Description d = p.getAnnotation(Description.class);
            if (d != null) {
                schema.put("description", d.value());
            }
            properties.set(name, schema);
            if (!optional) {
                required.add(name);
            }
        }
        ObjectNode root = JsonMapper.shared().createObjectNode();
        root.put("type", "object");
        root.set("properties", properties);
        root.set("required", JsonMapper.shared().valueToTree(required));
        root.put("additionalProperties", false);
        if (!defs.isEmpty()) {
            root.set("$defs", defs);
        }
        String name = tool.name().isEmpty() ? m.getName() : tool.name();
        ToolSpec spec = ToolSpec.builder().name(name).description(tool.value())
                .parameters(JsonSchema.parse(JsonMapper.shared().writeValueAsString(root))).build();
        return new Entry(spec, m, names, types);
    }

    /** A parameter's own schema referred to itself as {@code #}; inside the tool's schema it lives elsewhere. */
    private static void retargetRootReferences(JsonNode node, String pointer) {
        if (node instanceof ObjectNode o) {
            JsonNode ref = o.get("$ref");
            if (ref != null && ref.isString() && ref.asString().equals("#")) {
                o.put("$ref", pointer);
            }
            o.propertyNames().forEach(k -> retargetRootReferences(o.get(k), pointer));
        } else if (node != null && node.isArray()) {
            node.forEach(n -> retargetRootReferences(n, pointer));
        }
    }

    /** The specs of all tools, for {@link dev.locallm.chat.ChatRequest.Builder#tools(List)}. */
    public List<ToolSpec> specs() {
        return tools.values().stream().map(Entry::spec).toList();
    }

    /**
     * Runs a call and returns the message that answers it.
     *
     * @throws InvalidRequestException when no tool has the call's name or its arguments are not a JSON object
     */
    public ToolResultMessage execute(ToolCall call) {
        Entry e = tools.get(call.name());
        if (e == null) {
            throw new InvalidRequestException("no tool is named '" + call.name() + "'", "tool_calls");
        }
        JsonNode args;
        try {
            args = JsonMapper.shared().readTree(call.arguments());
        } catch (JacksonException ex) {
            throw new InvalidRequestException("the arguments of call " + call.id() + " are not JSON: "
                    + ex.getOriginalMessage(), "tool_calls");
        }
        if (args == null || !args.isObject()) {
            throw new InvalidRequestException("the arguments of call " + call.id() + " are not a JSON object",
                    "tool_calls");
        }
        Object[] values = new Object[e.names().size()];
        try {
            for (int i = 0; i < values.length; i++) {
                JsonNode node = args.get(e.names().get(i));
                JavaType type = JsonMapper.shared().getTypeFactory().constructType(e.types().get(i));
                values[i] = node == null || node.isNull()
                        ? (type.getRawClass() == Optional.class ? Optional.empty() : null)
                        : JsonMapper.shared().treeToValue(node, type);
            }
        } catch (JacksonException ex) {
            return ToolResultMessage.of(call.id(), call.name(), error("bad arguments: " + ex.getOriginalMessage()));
        }
        Object result;
        try {
            result = e.method().invoke(target, values);
        } catch (InvocationTargetException ex) {
            return ToolResultMessage.of(call.id(), call.name(), error(String.valueOf(ex.getCause())));
        } catch (IllegalAccessException ex) {
            throw new IllegalStateException(ex);
        }
        String content = result instanceof String s ? s : JsonMapper.shared().writeValueAsString(result);
        return ToolResultMessage.of(call.id(), call.name(), content);
    }

    private static String error(String message) {
        return JsonMapper.shared().writeValueAsString(Map.of("error", message));
    }
}
