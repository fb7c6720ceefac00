package dev.locallm.remote;

import dev.locallm.chat.AssistantMessage;
import dev.locallm.chat.ChatMessage;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.GenerationOptions;
import dev.locallm.chat.ResponseFormat;
import dev.locallm.chat.SystemMessage;
import dev.locallm.chat.ToolResultMessage;
import dev.locallm.chat.UserMessage;
import dev.locallm.grammar.Grammar;
import dev.locallm.internal.Json;
import dev.locallm.tool.ToolCall;
import dev.locallm.tool.ToolChoice;
import dev.locallm.tool.ToolSpec;
import java.util.List;
import java.util.Optional;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** Writes OpenAI request bodies from LocaLLM requests, as a {@link Dialect} wants them. Stateless. */
final class RequestWriter {
    /** OpenAI accepts at most 4 stop sequences; core applies any others itself. */
    private static final int MAX_SENT_STOPS = 4;

    private RequestWriter() {
    }

    /** A streaming chat completion request. */
    static ObjectNode chat(ChatRequest request, Optional<Grammar> grammar, String model, Dialect dialect,
            boolean streamOptions) {
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.put("model", model);
        ArrayNode messages = body.putArray("messages");
        for (ChatMessage m : request.messages()) {
            messages.add(message(m));
        }
        body.put("stream", true);
        if (streamOptions && dialect.streamOptions()) {
            body.putObject("stream_options").put("include_usage", true);
        }
        options(body, request.options(), dialect);
        ToolChoice choice = request.toolChoice();
        boolean honoured = dialect.honoursToolChoice();
        if (request.usesTools() && (honoured || choice.mode() != ToolChoice.Mode.NONE)) {
            // A server that ignores tool_choice (Ollama) may call a tool under "none": offer it none. Under a
            // named choice, offer it only that tool; core checks and re-asks for "required".
            ArrayNode tools = body.putArray("tools");
            for (ToolSpec t : request.tools()) {
                if (!honoured && choice.mode() == ToolChoice.Mode.NAMED && !t.name().equals(choice.tool().orElseThrow())) {
                    continue;
                }
                ObjectNode f = tools.addObject().put("type", "function").putObject("function");
                f.put("name", t.name());
                if (!t.description().isEmpty()) {
                    f.put("description", t.description());
                }
                f.set("parameters", Json.MAPPER.readTree(t.parameters().toJson()));
            }
            switch (choice.mode()) {
                case AUTO -> body.put("tool_choice", "auto");
                case NONE -> body.put("tool_choice", "none");
                case REQUIRED -> body.put("tool_choice", "required");
                case NAMED -> body.putObject("tool_choice").put("type", "function").putObject("function")
                        .put("name", choice.tool().orElseThrow());
            }
        }
        ResponseFormat format = request.responseFormat();
        if (format.isJson()) {
            JsonNode schema = Json.MAPPER.readTree(format.schema().map(s -> s.toJson()).orElse("{\"type\":\"object\"}"));
            switch (dialect.schemaPlacement()) {
                case RESPONSE_FORMAT -> {
                    ObjectNode rf = body.putObject("response_format");
                    if (format.type() == ResponseFormat.Type.JSON_SCHEMA) {
                        rf.put("type", "json_schema");
                        ObjectNode js = rf.putObject("json_schema");
                        js.put("name", format.name());
                        js.set("schema", schema);
                        js.put("strict", true);
                    } else {
                        rf.put("type", "json_object");
                    }
                }
                case TOP_LEVEL_JSON_SCHEMA -> body.set("json_schema", schema);
                case GBNF -> grammar.ifPresent(g -> body.put("grammar", g.toGbnf()));
                case GRAMMAR_STRING -> grammar.ifPresent(g -> body.put("grammar_string", g.toGbnf()));
            }
        }
        return body;
    }

    /** A streaming legacy completion request for a raw prompt. */
    static ObjectNode completion(String prompt, GenerationOptions options, String model, Dialect dialect,
            boolean streamOptions) {
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.put("model", model);
        body.put("prompt", prompt);
        body.put("stream", true);
        if (streamOptions && dialect.streamOptions()) {
            body.putObject("stream_options").put("include_usage", true);
        }
        options(body, options, dialect);
        return body;
    }

    private static void options(ObjectNode body, GenerationOptions o, Dialect dialect) {
        o.temperature().ifPresent(t -> body.put("temperature", t));
        o.topP().ifPresent(p -> body.put("top_p", p));
        o.maxTokens().ifPresent(n -> body.put("max_tokens", n));
        o.seed().ifPresent(s -> body.put("seed", s));
        List<String> stops = o.stopSequences();
        if (!stops.isEmpty()) {
            ArrayNode stop = body.putArray("stop");
            stops.stream().limit(MAX_SENT_STOPS).forEach(stop::add);
        }
        if (dialect.samplingExtensions()) {
            o.topK().ifPresent(k -> body.put("top_k", k));
            o.minP().ifPresent(p -> body.put("min_p", p));
            o.repeatPenalty().ifPresent(r -> body.put(dialect == Dialect.VLLM || dialect == Dialect.TABBYAPI
                    || dialect == Dialect.TEXT_GENERATION_WEBUI ? "repetition_penalty" : "repeat_penalty", r));
        }
    }

    private static ObjectNode message(ChatMessage m) {
        ObjectNode node = Json.MAPPER.createObjectNode();
        if (m instanceof SystemMessage s) {
            node.put("role", "system").put("content", s.text());
        } else if (m instanceof UserMessage u) {
            node.put("role", "user").put("content", u.text());
        } else if (m instanceof ToolResultMessage t) {
            node.put("role", "tool").put("tool_call_id", t.toolCallId()).put("content", t.text());
            if (!t.toolName().isEmpty()) {
                node.put("name", t.toolName());
            }
        } else if (m instanceof AssistantMessage a) {
            node.put("role", "assistant");
            if (a.text().isEmpty() && !a.toolCalls().isEmpty()) {
                node.putNull("content");
            } else {
                node.put("content", a.text());
            }
            if (!a.toolCalls().isEmpty()) {
                ArrayNode calls = node.putArray("tool_calls");
                for (ToolCall c : a.toolCalls()) {
                    ObjectNode call = calls.addObject().put("id", c.id()).put("type", "function");
                    call.putObject("function").put("name", c.name()).put("arguments", c.arguments());
                }
            }
        }
        return node;
    }
}
