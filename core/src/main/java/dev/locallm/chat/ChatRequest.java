package dev.locallm.chat;

import dev.locallm.error.InvalidRequestException;
import dev.locallm.tool.ToolCall;
import dev.locallm.tool.ToolChoice;
import dev.locallm.tool.ToolSpec;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

/**
 * What to generate from: the conversation so far and the options for this one generation. Immutable and
 * thread-safe; build with {@link #builder()} or {@link #of(ChatMessage...)}.
 *
 * <pre>{@code
 * ChatRequest request = ChatRequest.builder()
 *         .system("You answer in one sentence.")
 *         .user("Why is the sky blue?")
 *         .options(o -> o.temperature(0).maxTokens(64))
 *         .build();
 * }</pre>
 *
 * <p>The conversation is checked when built: it must not be empty, and every {@link ToolResultMessage} must
 * answer a tool call of an earlier {@link AssistantMessage}. A violation throws {@link InvalidRequestException}.
 */
public final class ChatRequest {
    private final List<ChatMessage> messages;
    private final GenerationOptions options;
    private final ResponseFormat responseFormat;
    private final TruncationPolicy truncationPolicy;
    private final List<ToolSpec> tools;
    private final ToolChoice toolChoice;

    private ChatRequest(Builder b) {
        this.messages = List.copyOf(b.messages);
        this.options = b.options;
        this.responseFormat = b.responseFormat;
        this.truncationPolicy = b.truncationPolicy;
        this.tools = List.copyOf(b.tools);
        this.toolChoice = b.toolChoice;
        validate(messages);
        validateTools(tools, toolChoice);
    }

    private static void validateTools(List<ToolSpec> tools, ToolChoice choice) {
        Set<String> names = new HashSet<>();
        for (ToolSpec t : tools) {
            if (!names.add(t.name())) {
                throw new InvalidRequestException("two tools are named '" + t.name() + "'", "tools");
            }
        }
        if (choice.forcesCall() && tools.isEmpty()) {
            throw new InvalidRequestException("tool_choice " + choice + " needs at least one tool", "tool_choice");
        }
        if (choice.tool().isPresent() && !names.contains(choice.tool().get())) {
            throw new InvalidRequestException("tool_choice names '" + choice.tool().get() + "', which is not among "
                    + "the tools", "tool_choice");
        }
    }

    private static void validate(List<ChatMessage> messages) {
        if (messages.isEmpty()) {
            throw new InvalidRequestException("messages must not be empty", "messages");
        }
        Set<String> callIds = new HashSet<>();
        for (int i = 0; i < messages.size(); i++) {
            ChatMessage m = messages.get(i);
            if (m instanceof AssistantMessage a) {
                for (ToolCall call : a.toolCalls()) {
                    callIds.add(call.id());
                }
            } else if (m instanceof ToolResultMessage t && !callIds.contains(t.toolCallId())) {
                throw new InvalidRequestException("messages[" + i + "] is a tool result for call '" + t.toolCallId()
                        + "', but no earlier assistant message made that call", "messages");
            }
        }
    }

    /** A request with these messages and no options of its own. */
    public static ChatRequest of(ChatMessage... messages) {
        return builder().messages(List.of(messages)).build();
    }

    /** A request with one user message. */
    public static ChatRequest of(String userText) {
        return builder().user(userText).build();
    }

    /** A builder with no messages, empty options, text output and no tools. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this request. */
    public Builder toBuilder() {
        return new Builder().messages(messages).options(options).responseFormat(responseFormat)
                .truncationPolicy(truncationPolicy).tools(tools).toolChoice(toolChoice);
    }

    /** The conversation, oldest first. */
    public List<ChatMessage> messages() {
        return messages;
    }

    /** Options of this generation; unset ones fall back to the model's defaults. */
    public GenerationOptions options() {
        return options;
    }

    /** The shape the reply must have; {@link ResponseFormat#TEXT} unless set. */
    public ResponseFormat responseFormat() {
        return responseFormat;
    }

    /** What happens to JSON output cut short; {@link TruncationPolicy#FAIL} unless set. */
    public TruncationPolicy truncationPolicy() {
        return truncationPolicy;
    }

    /** Tools the model may call; empty when none. */
    public List<ToolSpec> tools() {
        return tools;
    }

    /** Whether and which tool must be called; {@link ToolChoice#AUTO} unless set. */
    public ToolChoice toolChoice() {
        return toolChoice;
    }

    /** Whether tools take part in this generation: there are some and the choice is not {@code none}. */
    public boolean usesTools() {
        return !tools.isEmpty() && toolChoice.mode() != ToolChoice.Mode.NONE;
    }

    /** A copy of this request with other options. */
    public ChatRequest withOptions(GenerationOptions options) {
        return options.equals(this.options) ? this : toBuilder().options(options).build();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ChatRequest other && messages.equals(other.messages) && options.equals(other.options)
                && responseFormat.equals(other.responseFormat) && truncationPolicy == other.truncationPolicy
                && tools.equals(other.tools) && toolChoice.equals(other.toolChoice);
    }

    @Override
    public int hashCode() {
        return Objects.hash(messages, options, responseFormat, truncationPolicy, tools, toolChoice);
    }

    @Override
    public String toString() {
        return "ChatRequest{messages=" + messages.size() + ", options=" + options
                + (responseFormat.isJson() ? ", responseFormat=" + responseFormat : "") + "}";
    }

    /** Collects a request; not thread-safe. */
    public static final class Builder {
        private final List<ChatMessage> messages = new ArrayList<>();
        private GenerationOptions options = GenerationOptions.empty();
        private ResponseFormat responseFormat = ResponseFormat.TEXT;
        private TruncationPolicy truncationPolicy = TruncationPolicy.FAIL;
        private List<ToolSpec> tools = List.of();
        private ToolChoice toolChoice = ToolChoice.AUTO;

        private Builder() {
        }

        /** Replaces the messages. */
        public Builder messages(List<? extends ChatMessage> messages) {
            this.messages.clear();
            messages.forEach(this::add);
            return this;
        }

        /** Adds a message at the end of the conversation. */
        public Builder add(ChatMessage message) {
            messages.add(Objects.requireNonNull(message, "message"));
            return this;
        }

        /** Adds a system message. */
        public Builder system(String text) {
            return add(SystemMessage.of(text));
        }

        /** Adds a user message. */
        public Builder user(String text) {
            return add(UserMessage.of(text));
        }

        /** Adds an assistant message of text. */
        public Builder assistant(String text) {
            return add(AssistantMessage.of(text));
        }

        /** The generation options of this request, layered over the model's defaults. */
        public Builder options(GenerationOptions options) {
            this.options = Objects.requireNonNull(options, "options");
            return this;
        }

        /** Sets the options through a customizer of the options already set. */
        public Builder options(Consumer<GenerationOptions.Builder> customizer) {
            GenerationOptions.Builder b = options.toBuilder();
            customizer.accept(b);
            this.options = b.build();
            return this;
        }

        /** What the reply must be: text (the default), any JSON object, or JSON of a schema. */
        public Builder responseFormat(ResponseFormat responseFormat) {
            this.responseFormat = Objects.requireNonNull(responseFormat, "responseFormat");
            return this;
        }

        /** What to do with JSON cut short by the token limit; {@link TruncationPolicy#FAIL} by default. */
        public Builder truncationPolicy(TruncationPolicy truncationPolicy) {
            this.truncationPolicy = Objects.requireNonNull(truncationPolicy, "truncationPolicy");
            return this;
        }

        /** The tools the model may call; names must be unique. */
        public Builder tools(List<ToolSpec> tools) {
            this.tools = List.copyOf(tools);
            return this;
        }

        /** The tools the model may call; names must be unique. */
        public Builder tools(ToolSpec... tools) {
            return tools(List.of(tools));
        }

        /** Whether and which tool must be called; {@link ToolChoice#AUTO} by default. */
        public Builder toolChoice(ToolChoice toolChoice) {
            this.toolChoice = Objects.requireNonNull(toolChoice, "toolChoice");
            return this;
        }

        /** @throws InvalidRequestException when the conversation is empty or inconsistent */
        public ChatRequest build() {
            return new ChatRequest(this);
        }
    }
}
