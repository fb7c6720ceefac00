package dev.locallm.langchain4j;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.Content;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.internal.JsonSchemaElementUtils;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.request.json.JsonSchemaElement;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;
import dev.locallm.chat.AssistantMessage;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.ToolResultMessage;
import dev.locallm.schema.JsonSchema;
import dev.locallm.tool.ToolCall;
import dev.locallm.tool.ToolChoice;
import dev.locallm.tool.ToolSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;

/**
 * LangChain4j's chat values mapped onto LocaLLM's and back, in one place for the blocking and the streaming model.
 * Stateless; thread-safe.
 */
final class LangChain4jMapping {

    private LangChain4jMapping() {
    }

    /**
     * A LangChain4j request as a LocaLLM request: messages, sampling parameters, tools, tool choice and response
     * format.
     *
     * @param modelName the name of the loaded model: a request for another one is refused
     * @throws UnsupportedFeatureException for what a LocaLLM model cannot take: images and other non-text content,
     *     frequency and presence penalties, another model name
     */
    static ChatRequest toLocalLm(dev.langchain4j.model.chat.request.ChatRequest request, String modelName) {
        ChatRequest.Builder b = ChatRequest.builder();
        for (ChatMessage message : request.messages()) {
            b.add(message(message));
        }
        ChatRequestParameters p = request.parameters();
        checkSupported(p, modelName);
        b.options(o -> {
            if (p.temperature() != null) {
                o.temperature(p.temperature());
            }
            if (p.topP() != null) {
                o.topP(p.topP());
            }
            if (p.topK() != null) {
                o.topK(p.topK());
            }
            if (p.maxOutputTokens() != null) {
                o.maxTokens(p.maxOutputTokens());
            }
            if (p.stopSequences() != null && !p.stopSequences().isEmpty()) {
                o.stop(p.stopSequences());
            }
        });
        List<ToolSpecification> tools = p.toolSpecifications() == null ? List.of() : p.toolSpecifications();
        if (!tools.isEmpty()) {
            b.tools(tools.stream().map(LangChain4jMapping::tool).toList());
            if (p.toolChoice() != null) {
                b.toolChoice(switch (p.toolChoice()) {
                    case AUTO -> ToolChoice.AUTO;
                    case REQUIRED -> ToolChoice.REQUIRED;
                    case NONE -> ToolChoice.NONE;
                });
            }
        }
        ResponseFormat format = p.responseFormat();
        if (format != null && format.type() == ResponseFormatType.JSON) {
            b.responseFormat(format.jsonSchema() == null ? dev.locallm.chat.ResponseFormat.JSON_OBJECT
                    : dev.locallm.chat.ResponseFormat.jsonSchema(format.jsonSchema().name() == null ? "response"
                            : format.jsonSchema().name(), schema(format.jsonSchema().rootElement())));
        }
        return b.build();
    }

    /**
     * Refuses the parameters a LocaLLM model cannot honour: another model's name, frequency and presence penalties.
     *
     * @throws UnsupportedFeatureException naming the parameter
     */
    static void checkSupported(ChatRequestParameters p, String modelName) {
        if (p.modelName() != null && !p.modelName().equals(modelName)) {
            throw new UnsupportedFeatureException("LocaLLM does not support the modelName parameter '"
                    + p.modelName() + "': this model is '" + modelName + "' (load that model to use it)");
        }
        if (p.frequencyPenalty() != null || p.presencePenalty() != null) {
            throw new UnsupportedFeatureException("LocaLLM does not support frequency or presence penalties; use "
                    + "repeatPenalty on dev.locallm.chat.GenerationOptions, through the wrapped model's with(...)");
        }
    }

    private static dev.locallm.chat.ChatMessage message(ChatMessage message) {
        if (message instanceof SystemMessage s) {
            return dev.locallm.chat.SystemMessage.of(s.text());
        }
        if (message instanceof UserMessage u) {
            return dev.locallm.chat.UserMessage.of(text(u.contents()));
        }
        if (message instanceof AiMessage a) {
            List<ToolCall> calls = new ArrayList<>();
            if (a.hasToolExecutionRequests()) {
                for (ToolExecutionRequest r : a.toolExecutionRequests()) {
                    calls.add(new ToolCall(r.id() == null ? "" : r.id(), r.name(),
                            r.arguments() == null || r.arguments().isBlank() ? "{}" : r.arguments()));
                }
            }
            return new AssistantMessage(a.text() == null ? "" : a.text(), calls);
        }
        if (message instanceof ToolExecutionResultMessage t) {
            return ToolResultMessage.of(t.id() == null ? "" : t.id(), t.toolName() == null ? "" : t.toolName(),
                    text(t.contents()));
        }
        throw new UnsupportedFeatureException("LocaLLM takes system, user, AI and tool result messages; not "
                + message.type());
    }

    /**
     * The text of a message's contents, joined by newlines.
     *
     * @throws UnsupportedFeatureException when one is not text (an image, audio, a PDF)
     */
    private static String text(List<Content> contents) {
        StringBuilder text = new StringBuilder();
        for (Content content : contents) {
            if (!(content instanceof TextContent t)) {
                throw new UnsupportedFeatureException("LocaLLM does not support "
                        + content.type().name().toLowerCase(java.util.Locale.ROOT) + " content: its models take text");
            }
            text.append(text.length() == 0 ? "" : "\n").append(t.text());
        }
        return text.toString();
    }

    private static ToolSpec tool(ToolSpecification spec) {
        JsonObjectSchema parameters = spec.parameters() != null ? spec.parameters()
                : JsonObjectSchema.builder().build();
        return ToolSpec.builder().name(spec.name()).description(spec.description() == null ? "" : spec.description())
                .parameters(schema(parameters)).build();
    }

    /** A LangChain4j schema element as a JSON Schema, written the way LangChain4j writes it for OpenAI. */
    static JsonSchema schema(JsonSchemaElement element) {
        Map<String, Object> map = JsonSchemaElementUtils.toMap(element);
        return JsonSchema.parse(JsonMapper.shared().writeValueAsString(map));
    }

    /** A LocaLLM response as LangChain4j's, with the model's name, token usage and finish reason. */
    static ChatResponse toLangChain4j(dev.locallm.chat.ChatResponse response, String modelName) {
        return ChatResponse.builder().aiMessage(aiMessage(response)).modelName(modelName)
                .tokenUsage(new TokenUsage(response.usage().promptTokens(), response.usage().completionTokens()))
                .finishReason(finishReason(response.finishReason())).build();
    }

    private static AiMessage aiMessage(dev.locallm.chat.ChatResponse response) {
        List<ToolExecutionRequest> calls = response.toolCalls().stream().map(LangChain4jMapping::toolRequest)
                .toList();
        String text = response.text();
        if (calls.isEmpty()) {
            return AiMessage.from(text);
        }
        return text.isBlank() ? AiMessage.from(calls) : AiMessage.from(text, calls);
    }

    static ToolExecutionRequest toolRequest(ToolCall call) {
        return ToolExecutionRequest.builder().id(call.id()).name(call.name()).arguments(call.arguments()).build();
    }

    static FinishReason finishReason(dev.locallm.chat.FinishReason reason) {
        return switch (reason) {
            case STOP -> FinishReason.STOP;
            case LENGTH -> FinishReason.LENGTH;
            case TOOL_CALLS -> FinishReason.TOOL_EXECUTION;
            case CANCELLED -> FinishReason.OTHER;
        };
    }
}
