package dev.locallm.template;

import dev.locallm.chat.AssistantMessage;
import dev.locallm.chat.ChatMessage;
import dev.locallm.chat.ToolResultMessage;
import dev.locallm.error.InvalidRequestException;
import dev.locallm.error.ModelLoadException;
import dev.locallm.tool.ToolCall;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A chat template: the Jinja program, shipped in a model's metadata, that turns a conversation into the
 * prompt text the model was trained on. LocaLLM renders it in Java with the conventions of Hugging Face's
 * {@code apply_chat_template} ({@code messages}, {@code add_generation_prompt}, {@code bos_token},
 * {@code eos_token}, {@code tools}, {@code raise_exception}, {@code strftime_now}; {@code trim_blocks} and
 * {@code lstrip_blocks} on), so backends need no Python and no native template code.
 *
 * <pre>{@code
 * ChatTemplate template = ChatTemplate.compile(metadata.chatTemplate().orElse(ChatTemplate.CHATML));
 * String prompt = template.render(request.messages(), Map.of("bos_token", "<s>", "eos_token", "</s>"));
 * }</pre>
 *
 * <p>Templates come from the model or from the operator, never from a request. Rendering is bounded by
 * {@link Limits}: output size, evaluation steps, nesting depth and time, so a hostile or broken template fails
 * with an exception instead of hanging or exhausting memory. Instances are immutable and thread-safe.
 */
public final class ChatTemplate {
    private static final Logger LOG = LoggerFactory.getLogger(ChatTemplate.class);
    /** The ChatML template, used when a model has none. */
    public static final String CHATML = "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n'"
            + " + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}"
            + "{{ '<|im_start|>assistant\\n' }}{% endif %}";

    /**
     * Bounds on one rendering.
     *
     * @param maxOutputChars most characters the prompt (or any string built on the way) may have
     * @param maxSteps       most evaluation steps (expressions, statements, loop iterations)
     * @param maxDepth       deepest nesting of expressions and macro calls
     * @param timeout        longest time one rendering may take
     */
    public record Limits(int maxOutputChars, long maxSteps, int maxDepth, Duration timeout) {
        /** 4 M characters, 10 M steps, depth 200, 2 seconds. */
        public static final Limits DEFAULT = new Limits(4 * 1024 * 1024, 10_000_000, 200, Duration.ofSeconds(2));

        /** @throws IllegalArgumentException when a limit is not positive */
        public Limits {
            Objects.requireNonNull(timeout, "timeout");
            if (maxOutputChars < 1 || maxSteps < 1 || maxDepth < 1 || timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("limits must be positive");
            }
        }
    }

    private final String source;
    private final List<Node> nodes;
    private final Limits limits;

    private ChatTemplate(String source, List<Node> nodes, Limits limits) {
        this.source = source;
        this.nodes = nodes;
        this.limits = limits;
    }

    /**
     * Parses a template.
     *
     * @throws ModelLoadException when it is not valid Jinja; the message gives the line
     */
    public static ChatTemplate compile(String source) {
        return compile(source, Limits.DEFAULT);
    }

    /** Parses a template that will render within {@code limits}. */
    public static ChatTemplate compile(String source, Limits limits) {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(limits, "limits");
        try {
            return new ChatTemplate(source, List.copyOf(TemplateParser.parse(source)), limits);
        } catch (StackOverflowError e) {
            throw new ModelLoadException("chat template syntax error: nested too deeply");
        }
    }

    /** The ChatML template. */
    public static ChatTemplate chatMl() {
        return compile(CHATML);
    }

    /**
     * A model's own template, or ChatML, as llama.cpp falls back, when the model has none (logged at INFO) or its
     * template does not compile (logged as a warning naming how to pass a working one).
     *
     * @param source the model's template; {@code null} when it has none
     * @param model names the model in the log
     * @param override the option that passes a template instead, such as {@code LlamaCppOptions.chatTemplate}
     */
    public static ChatTemplate ofModel(String source, Object model, String override) {
        if (source == null) {
            LOG.info("{} has no chat template; using ChatML", model);
            return chatMl();
        }
        try {
            return compile(source);
        } catch (ModelLoadException e) {
            LOG.warn("The chat template of {} cannot be used ({}); using ChatML. Pass a working template with {}.",
                    model, e.getMessage(), override);
            return chatMl();
        }
    }

    /** The template's source text. */
    public String source() {
        return source;
    }

    /**
     * Renders a conversation. Messages become Hugging Face message dictionaries ({@code role},
     * {@code content}, {@code tool_calls}, {@code tool_call_id}, {@code name}); {@code variables} adds or
     * overrides template variables such as {@code bos_token}, {@code eos_token}, {@code tools} and
     * {@code add_generation_prompt} (true unless given).
     *
     * @throws InvalidRequestException when the template rejects the conversation ({@code raise_exception}),
     *                                 fails on it, or exceeds its limits
     */
    public String render(List<ChatMessage> messages, Map<String, ?> variables) {
        Map<String, Object> vars = new LinkedHashMap<>();
        vars.put("messages", toTemplateMessages(messages));
        vars.put("add_generation_prompt", true);
        vars.putAll(variables);
        return render(vars);
    }

    /**
     * Renders with raw variables: JSON-like values (strings, numbers, booleans, null, lists, maps).
     *
     * @throws InvalidRequestException when rendering fails or exceeds its limits
     */
    public String render(Map<String, ?> variables) {
        TemplateRuntime runtime = new TemplateRuntime(limits);
        Map<String, Object> vars = new LinkedHashMap<>(variables);
        try {
            return runtime.render(nodes, vars);
        } catch (TemplateException e) {
            String message = e.raised ? "The model's chat template rejected the conversation: " + e.getMessage()
                    : "The model's chat template failed at line " + runtime.line() + ": " + e.getMessage();
            throw new InvalidRequestException(message, "messages");
        } catch (StackOverflowError e) {
            throw new InvalidRequestException("The model's chat template recursed too deeply", "messages");
        }
    }

    /** The Hugging Face dictionary form of messages, as templates expect them. */
    public static List<Map<String, Object>> toTemplateMessages(List<ChatMessage> messages) {
        List<Map<String, Object>> out = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("role", m.role().wireName());
            d.put("content", m.text());
            if (m instanceof AssistantMessage a && a.hasToolCalls()) {
                List<Map<String, Object>> calls = new ArrayList<>();
                for (ToolCall call : a.toolCalls()) {
                    Map<String, Object> function = new LinkedHashMap<>();
                    function.put("name", call.name());
                    function.put("arguments", arguments(call.arguments()));
                    Map<String, Object> c = new LinkedHashMap<>();
                    c.put("id", call.id());
                    c.put("type", "function");
                    c.put("function", function);
                    calls.add(c);
                }
                d.put("tool_calls", calls);
            } else if (m instanceof ToolResultMessage t) {
                d.put("tool_call_id", t.toolCallId());
                d.put("name", t.toolName());
            }
            out.add(d);
        }
        return out;
    }

    /**
     * Call arguments as templates expect them: a JSON object becomes a dictionary (Llama 3 templates apply
     * {@code tojson} to it); anything else stays text.
     */
    private static Object arguments(String json) {
        try {
            JsonNode node = JsonMapper.shared().readTree(json);
            if (node != null && node.isObject()) {
                return JsonMapper.shared().treeToValue(node, Map.class);
            }
        } catch (JacksonException e) {
            // not JSON: passed on as text
        }
        return json;
    }

    @Override
    public String toString() {
        return "ChatTemplate[" + (source.length() > 60 ? source.substring(0, 60) + "..." : source) + "]";
    }
}
