package dev.locallm.engine.toolcall;

/**
 * How a model family writes tool calls. Backends detect it from the chat template; core uses it to constrain,
 * parse and stream calls.
 */
public enum ToolCallFormat {
    /**
     * Hermes, Qwen 2.5/3 and many others, and LocaLLM's fallback prompt:
     * {@code <tool_call>{"name": "f", "arguments": {...}}</tool_call>}, one block per call.
     */
    HERMES("<tool_call>", "arguments"),
    /** Mistral: {@code [TOOL_CALLS][{"name": "f", "arguments": {...}}, ...]}. */
    MISTRAL("[TOOL_CALLS]", "arguments"),
    /** Llama 3.1-3.3: the whole reply is {@code {"name": "f", "parameters": {...}}}, optionally after {@code <|python_tag|>}. */
    LLAMA3("", "parameters"),
    /** Any other template: the whole reply is {@code {"name": "f", "arguments": {...}}} (or an array of those). */
    JSON("", "arguments");

    private final String marker;
    private final String argumentsKey;

    ToolCallFormat(String marker, String argumentsKey) {
        this.marker = marker;
        this.argumentsKey = argumentsKey;
    }

    /** The text that opens calls, or empty when the reply itself is the call. */
    public String marker() {
        return marker;
    }

    /** The key of the arguments object in a call. */
    public String argumentsKey() {
        return argumentsKey;
    }

    /**
     * The format a chat template writes calls in: by its markers; templates that render no tools at all get
     * {@link #HERMES}, the format of LocaLLM's fallback tool prompt.
     */
    public static ToolCallFormat detect(String template) {
        if (template.contains("<tool_call>")) {
            return HERMES;
        }
        if (template.contains("[TOOL_CALLS]")) {
            return MISTRAL;
        }
        if (template.contains("<|python_tag|>") || template.contains("ipython")) {
            return LLAMA3;
        }
        if (template.contains("tool_calls") || template.contains("tools")) {
            return JSON;
        }
        return HERMES;
    }
}
