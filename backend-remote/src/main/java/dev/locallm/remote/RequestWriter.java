package dev.locallm.remote;

import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.GenerationOptions;
import dev.locallm.chat.ResponseFormat;
import dev.locallm.engine.Grammars;
import dev.locallm.engine.toolcall.ToolCallFormat;
import dev.locallm.engine.toolcall.ToolPrompt;
import dev.locallm.openai.ChatCompletionRequests;
import dev.locallm.openai.Completions;
import dev.locallm.tool.ToolChoice;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Writes request bodies as a {@link Dialect} and what the server refused ({@link ServerTraits}) want them: the
 * OpenAI body of the wire module, then what differs per server family (usage in streams, sampling extensions,
 * where a schema or grammar goes, the tools a server that ignores {@code tool_choice} is offered). Stateless.
 */
final class RequestWriter {
    private RequestWriter() {
    }

    /**
     * A chat completion request, streamed unless it carries tools and the server refused tools in streams. For the
     * dialects that take a grammar, the response format goes as LocaLLM's compiled GBNF grammar (the one it
     * enforces in-process) instead of {@code response_format}. Tools go in {@code tools} unless the server takes
     * none ({@link ServerTraits#sendsTools()}): they are then described in the system message, and a forced call is
     * enforced with LocaLLM's grammar for its Hermes {@code <tool_call>} blocks where the server takes a grammar.
     *
     * @throws dev.locallm.error.UnsupportedSchemaException when such a dialect asks for a grammar that cannot be
     *                                                       compiled
     */
    static ObjectNode chat(ChatRequest request, RemoteServer server) {
        Dialect dialect = server.dialect();
        ServerTraits traits = server.traits();
        if (request.usesTools() && !traits.sendsTools()) {
            return toolsInPrompt(request, server);
        }
        ObjectNode body = ChatCompletionRequests.write(request, server.model());
        if (request.usesTools() && !traits.toolsInStream()) {
            body.put("stream", false);
        } else {
            streaming(body, dialect, traits.streamOptions());
        }
        extensions(body, request.options(), dialect);
        ToolChoice choice = request.toolChoice();
        if (request.usesTools() && !dialect.honoursToolChoice()) {
            // A server that ignores tool_choice (Ollama) may call a tool under "none": offer it none. Under a
            // named choice, offer it only that tool; core checks and re-asks for "required".
            if (choice.mode() == ToolChoice.Mode.NONE) {
                body.remove("tools");
                body.remove("tool_choice");
            } else if (choice.mode() == ToolChoice.Mode.NAMED) {
                ArrayNode tools = (ArrayNode) body.get("tools");
                for (int i = tools.size() - 1; i >= 0; i--) {
                    if (!tools.get(i).path("function").path("name").asString("").equals(choice.tool().orElseThrow())) {
                        tools.remove(i);
                    }
                }
            }
        }
        placeSchema(body, request, dialect);
        return body;
    }

    /**
     * The request for a server that takes no tools: they are described in the system message (the tool-call
     * history stays as OpenAI messages), and a forced call is enforced with LocaLLM's grammar where the dialect
     * takes one.
     */
    private static ObjectNode toolsInPrompt(ChatRequest request, RemoteServer server) {
        boolean forced = request.toolChoice().forcesCall();
        ChatRequest prompted = request.toBuilder().messages(request.toolChoice().mode() == ToolChoice.Mode.NONE
                ? request.messages() : ToolPrompt.withFallbackInstructions(request)).tools(List.of())
                .toolChoice(ToolChoice.AUTO).responseFormat(forced ? ResponseFormat.TEXT : request.responseFormat())
                .build();
        ObjectNode body = chat(prompted, server);
        Dialect.SchemaPlacement placement = server.dialect().schemaPlacement();
        if (forced && (placement == Dialect.SchemaPlacement.GBNF
                || placement == Dialect.SchemaPlacement.GRAMMAR_STRING)) {
            body.put(placement == Dialect.SchemaPlacement.GBNF ? "grammar" : "grammar_string",
                    Grammars.forRequest(request, ToolCallFormat.HERMES).orElseThrow().toGbnf());
        }
        return body;
    }

    private static void placeSchema(ObjectNode body, ChatRequest request, Dialect dialect) {
        JsonNode responseFormat = body.get("response_format");
        if (responseFormat != null) {
            switch (dialect.schemaPlacement()) {
                case RESPONSE_FORMAT -> { }
                case TOP_LEVEL_JSON_SCHEMA -> {
                    body.remove("response_format");
                    JsonNode schema = responseFormat.path("json_schema").path("schema");
                    body.set("json_schema", schema.isMissingNode()
                            ? body.objectNode().put("type", "object") : schema);
                }
                case GBNF, GRAMMAR_STRING -> {
                    body.remove("response_format");
                    Grammars.forResponseFormat(request.responseFormat()).ifPresent(g -> body.put(
                            dialect.schemaPlacement() == Dialect.SchemaPlacement.GBNF ? "grammar" : "grammar_string",
                            g.toGbnf()));
                }
            }
        }
    }

    /** A streaming legacy completion request for a raw prompt. */
    static ObjectNode completion(String prompt, GenerationOptions options, RemoteServer server) {
        ObjectNode body = Completions.writeRequest(prompt, options, server.model());
        streaming(body, server.dialect(), server.traits().streamOptions());
        extensions(body, options, server.dialect());
        return body;
    }

    private static void streaming(ObjectNode body, Dialect dialect, boolean streamOptions) {
        body.put("stream", true);
        if (streamOptions && dialect.streamOptions()) {
            body.putObject("stream_options").put("include_usage", true);
        }
    }

    /** The sampling options beyond OpenAI's, under the names the family uses, when it takes them. */
    private static void extensions(ObjectNode body, GenerationOptions o, Dialect dialect) {
        if (dialect.samplingExtensions()) {
            o.topK().ifPresent(k -> body.put("top_k", k));
            o.minP().ifPresent(p -> body.put("min_p", p));
            o.repeatPenalty().ifPresent(r -> body.put(dialect == Dialect.VLLM || dialect == Dialect.TABBYAPI
                    || dialect == Dialect.TEXT_GENERATION_WEBUI ? "repetition_penalty" : "repeat_penalty", r));
        }
    }
}
