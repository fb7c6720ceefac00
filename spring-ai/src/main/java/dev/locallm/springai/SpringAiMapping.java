package dev.locallm.springai;

import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.FinishReason;
import dev.locallm.chat.ResponseFormat;
import dev.locallm.chat.SystemMessage;
import dev.locallm.chat.ToolResultMessage;
import dev.locallm.error.InvalidRequestException;
import dev.locallm.schema.JsonSchema;
import dev.locallm.tool.ToolCall;
import dev.locallm.tool.ToolSpec;
import java.util.ArrayList;
import java.util.List;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.messages.ToolResponseMessage;
import org.springframework.ai.chat.messages.UserMessage;
import org.springframework.ai.chat.metadata.ChatGenerationMetadata;
import org.springframework.ai.chat.metadata.ChatResponseMetadata;
import org.springframework.ai.chat.metadata.DefaultUsage;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.model.tool.StructuredOutputChatOptions;
import org.springframework.ai.model.tool.ToolCallingChatOptions;
import org.springframework.ai.tool.ToolCallback;
import org.springframework.ai.tool.definition.ToolDefinition;

/**
 * Spring AI's prompts mapped onto LocaLLM's requests and LocaLLM's responses back, in one place for call and
 * stream. Stateless; thread-safe.
 */
final class SpringAiMapping {

    private SpringAiMapping() {
    }

    /**
     * A prompt, with its options already merged over the model's defaults, as a LocaLLM request.
     *
     * @param modelName the loaded model's name: options naming another model are refused
     * @throws InvalidRequestException for what a LocaLLM model cannot take: media, frequency and presence
     *     penalties, another model's name, a schema that is not JSON
     */
    static ChatRequest toLocalLm(List<Message> messages, ChatOptions options, String modelName) {
        checkSupported(options, modelName);
        ChatRequest.Builder b = ChatRequest.builder();
        for (Message message : messages) {
            for (dev.locallm.chat.ChatMessage m : messages(message)) {
                b.add(m);
            }
        }
        b.options(o -> {
            if (options.getTemperature() != null) {
                o.temperature(options.getTemperature());
            }
            if (options.getTopP() != null) {
                o.topP(options.getTopP());
            }
            if (options.getTopK() != null) {
                o.topK(options.getTopK());
            }
            if (options.getMaxTokens() != null) {
                o.maxTokens(options.getMaxTokens());
            }
            if (options.getStopSequences() != null && !options.getStopSequences().isEmpty()) {
                o.stop(options.getStopSequences());
            }
            if (options instanceof LocalLmChatOptions local && local.getSeed() != null) {
                o.seed(local.getSeed());
            }
        });
        if (options instanceof ToolCallingChatOptions tooling && tooling.getToolCallbacks() != null
                && !tooling.getToolCallbacks().isEmpty()) {
            b.tools(tooling.getToolCallbacks().stream().map(ToolCallback::getToolDefinition)
                    .map(SpringAiMapping::tool).toList());
            if (options instanceof LocalLmChatOptions local && local.getToolChoice() != null) {
                b.toolChoice(local.getToolChoice());
            }
        }
        if (options instanceof StructuredOutputChatOptions structured && structured.getOutputSchema() != null) {
            b.responseFormat(ResponseFormat.jsonSchema("response", schema(structured.getOutputSchema(),
                    "outputSchema")));
        }
        return b.build();
    }

    private static void checkSupported(ChatOptions options, String modelName) {
        if (options.getModel() != null && !options.getModel().equals(modelName)) {
            throw new InvalidRequestException("this model is '" + modelName + "', not '" + options.getModel()
                    + "': load that model to use it", "model");
        }
        if (options.getFrequencyPenalty() != null || options.getPresencePenalty() != null) {
            throw new InvalidRequestException("LocaLLM models do not implement frequency or presence penalties; set "
                    + "repeatPenalty in the wrapped model's defaults instead", options.getFrequencyPenalty() != null
                            ? "frequencyPenalty" : "presencePenalty");
        }
    }

    private static List<dev.locallm.chat.ChatMessage> messages(Message message) {
        return switch (message.getMessageType()) {
            case SYSTEM -> List.of(SystemMessage.of(text(message)));
            case USER -> {
                if (message instanceof UserMessage user && !user.getMedia().isEmpty()) {
                    throw new InvalidRequestException("LocaLLM models take text; this user message carries "
                            + user.getMedia().size() + " media item(s)", "messages");
                }
                yield List.of(dev.locallm.chat.UserMessage.of(text(message)));
            }
            case ASSISTANT -> {
                List<ToolCall> calls = new ArrayList<>();
                if (message instanceof AssistantMessage assistant) {
                    for (AssistantMessage.ToolCall call : assistant.getToolCalls()) {
                        calls.add(new ToolCall(call.id(), call.name(), call.arguments() == null
                                || call.arguments().isBlank() ? "{}" : call.arguments()));
                    }
                }
                yield List.of(new dev.locallm.chat.AssistantMessage(text(message), calls));
            }
            case TOOL -> ((ToolResponseMessage) message).getResponses().stream()
                    .map(r -> (dev.locallm.chat.ChatMessage) ToolResultMessage.of(r.id(), r.name(), r.responseData()))
                    .toList();
        };
    }

    private static String text(Message message) {
        return message.getText() == null ? "" : message.getText();
    }

    private static ToolSpec tool(ToolDefinition definition) {
        return ToolSpec.builder().name(definition.name()).description(definition.description())
                .parameters(schema(definition.inputSchema(), "tools")).build();
    }

    /** The schema, refused under Spring AI's name for it. */
    private static JsonSchema schema(String json, String parameter) {
        try {
            return JsonSchema.parse(json);
        } catch (InvalidRequestException e) {
            throw new InvalidRequestException(e.getMessage(), parameter, e);
        }
    }

    /**
     * A LocaLLM response as Spring AI's: the message with its tool calls, finish reason, usage, model name.
     *
     * @param text the message's text; {@code null} for the response's own (a stream's last response has none,
     *     its pieces carried it)
     */
    static ChatResponse toSpringAi(dev.locallm.chat.ChatResponse response, String text, String modelName) {
        List<AssistantMessage.ToolCall> calls = response.toolCalls().stream()
                .map(c -> new AssistantMessage.ToolCall(c.id(), "function", c.name(), c.arguments())).toList();
        AssistantMessage message = AssistantMessage.builder().content(text != null ? text : response.text())
                .toolCalls(calls).build();
        return new ChatResponse(List.of(new Generation(message, ChatGenerationMetadata.builder()
                .finishReason(finishReason(response.finishReason())).build())), metadata(response, modelName));
    }

    /** A piece of a stream: its text, no metadata. */
    static ChatResponse piece(String text, String modelName) {
        return new ChatResponse(List.of(new Generation(AssistantMessage.builder().content(text).build())),
                ChatResponseMetadata.builder().model(modelName).build());
    }

    private static ChatResponseMetadata metadata(dev.locallm.chat.ChatResponse response, String modelName) {
        return ChatResponseMetadata.builder().model(modelName)
                .usage(new DefaultUsage(response.usage().promptTokens(), response.usage().completionTokens()))
                .build();
    }

    /** OpenAI's finish reasons, upper case, as Spring AI's OpenAI model reports them. */
    static String finishReason(FinishReason reason) {
        return switch (reason) {
            case STOP -> "STOP";
            case LENGTH -> "LENGTH";
            case TOOL_CALLS -> "TOOL_CALLS";
            case CANCELLED -> "CANCELLED";
        };
    }
}
