package dev.locallm.engine.toolcall;

import dev.locallm.chat.ChatMessage;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.SystemMessage;
import dev.locallm.tool.ToolSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import tools.jackson.databind.json.JsonMapper;

/**
 * Tools for chat templates: the Hugging Face {@code tools} variable, and LocaLLM's fallback instructions for
 * templates that ignore it. The fallback asks for {@link ToolCallFormat#HERMES} blocks:
 *
 * <pre>
 * You can call these tools. To call one, reply with a block like
 * &lt;tool_call&gt;{"name": "tool_name", "arguments": {...}}&lt;/tool_call&gt;
 * ...
 * &lt;tools&gt;
 * {"type": "function", "function": {...}}
 * &lt;/tools&gt;
 * </pre>
 *
 * Stateless; thread-safe.
 */
public final class ToolPrompt {
    private ToolPrompt() {
    }

    /**
     * Renders a request's prompt with a model's chat template, exactly as it will be tokenized: the tools go to the
     * template's {@code tools} variable, and when the template ignores it (the prompt comes out the same without
     * them) LocaLLM's fallback instructions go to the system message instead; a leading BOS text is removed when
     * the tokenizer adds BOS as an id.
     *
     * @param template renders messages with variables, such as {@code ChatTemplate::render}
     * @param bosText the BOS token's text, for the template's {@code bos_token}
     * @param eosText the EOS token's text, for the template's {@code eos_token}
     * @param tokenizerAddsBos whether BOS is added as an id when the prompt is tokenized
     */
    public static String render(ChatRequest request, BiFunction<List<ChatMessage>, Map<String, ?>, String> template,
            String bosText, String eosText, boolean tokenizerAddsBos) {
        Map<String, Object> vars = new HashMap<>(Map.of("bos_token", bosText, "eos_token", eosText,
                "add_generation_prompt", true));
        String prompt = template.apply(request.messages(), vars);
        if (request.usesTools()) {
            Map<String, Object> withToolsVars = new HashMap<>(vars);
            withToolsVars.put("tools", templateTools(request.tools()));
            String withTools = template.apply(request.messages(), withToolsVars);
            prompt = withTools.equals(prompt) ? template.apply(withFallbackInstructions(request), vars) : withTools;
        }
        if (tokenizerAddsBos && !bosText.isEmpty() && prompt.startsWith(bosText)) {
            prompt = prompt.substring(bosText.length());
        }
        return prompt;
    }

    /** The tools as the OpenAI/Hugging Face dictionaries templates iterate over. */
    public static List<Map<String, Object>> templateTools(List<ToolSpec> tools) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (ToolSpec t : tools) {
            Map<String, Object> function = new LinkedHashMap<>();
            function.put("name", t.name());
            function.put("description", t.description());
            function.put("parameters", JsonMapper.shared().readValue(t.parameters().toJson(), Object.class));
            Map<String, Object> tool = new LinkedHashMap<>();
            tool.put("type", "function");
            tool.put("function", function);
            out.add(tool);
        }
        return out;
    }

    /**
     * The request's messages with {@link #fallbackInstructions} for its tools at the end of the system message
     * (a system message is added first when there is none).
     */
    public static List<ChatMessage> withFallbackInstructions(ChatRequest request) {
        String instructions = fallbackInstructions(request.tools());
        List<ChatMessage> messages = new ArrayList<>(request.messages());
        if (!messages.isEmpty() && messages.get(0) instanceof SystemMessage system) {
            messages.set(0, SystemMessage.of(system.text() + "\n\n" + instructions));
        } else {
            messages.add(0, SystemMessage.of(instructions));
        }
        return messages;
    }

    /** Instructions to add to the system message when the chat template shows no tools. */
    public static String fallbackInstructions(List<ToolSpec> tools) {
        StringBuilder sb = new StringBuilder("You can call these tools. To call one, reply with a block like\n"
                + "<tool_call>{\"name\": \"tool_name\", \"arguments\": {...}}</tool_call>\n"
                + "with arguments that follow the tool's parameters. You may call several tools, one block each.\n"
                + "<tools>\n");
        for (Map<String, Object> tool : templateTools(tools)) {
            sb.append(JsonMapper.shared().writeValueAsString(tool)).append('\n');
        }
        return sb.append("</tools>").toString();
    }
}
