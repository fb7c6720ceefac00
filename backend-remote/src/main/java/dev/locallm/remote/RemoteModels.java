package dev.locallm.remote;

import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.GenerationOptions;
import dev.locallm.chat.ResponseFormat;
import dev.locallm.error.LocalLmException;
import dev.locallm.error.ModelLoadException;
import dev.locallm.schema.JsonSchema;
import dev.locallm.spi.ModelLocation;
import dev.locallm.tool.ToolChoice;
import dev.locallm.tool.ToolSpec;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Tools for remote models that are not a {@link dev.locallm.ChatModel}: {@link #probe} finds out what a server
 * really supports. Stateless; thread-safe.
 */
public final class RemoteModels {
    /** A schema no model would follow by chance: one required integer field with one allowed value. */
    private static final String PROBE_SCHEMA = "{\"type\":\"object\",\"properties\":{\"probe_7319\":{\"type\":"
            + "\"integer\",\"enum\":[7319]}},\"required\":[\"probe_7319\"],\"additionalProperties\":false}";
    private static final GenerationOptions PROBE_OPTIONS = GenerationOptions.of(o -> o.maxTokens(48).temperature(0));
    /** Room for one call in a format as verbose as llama-server's generic one, in a small vocabulary's tokens. */
    private static final GenerationOptions CALL_OPTIONS = GenerationOptions.of(o -> o.maxTokens(200).temperature(0));
    private static final ToolSpec PROBE_TOOL = ToolSpec.of("record_city", "Records a city name", JsonSchema.parse(
            "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}"));

    private RemoteModels() {
    }

    /**
     * Sends a few tiny requests (a handful of tokens each) to the model at {@code uri} (an {@code openai:} URI,
     * as for {@link dev.locallm.LocalLm#chatModel}) and reports what worked, with a note saying why for each
     * feature that did not. Never throws for a feature that fails.
     *
     * @throws dev.locallm.error.ModelLoadException when the server cannot be reached at all, or does not serve
     *                                              the model
     */
    public static RemoteCapabilities probe(String uri) {
        return probe(uri, RemoteOptions.builder().build());
    }

    /** {@link #probe(String)} with options (an API key, timeouts). */
    public static RemoteCapabilities probe(String uri, RemoteOptions options) {
        ModelLocation location = ModelLocation.parse(uri);
        RemoteServer server = RemoteServer.open(location, options);
        List<String> notes = new ArrayList<>();

        Observed text = observe(server, ChatRequest.builder().user("Say hello in five words."), notes, "streaming");
        boolean streaming = text.ok && text.textDeltas > 1;
        if (text.ok && !streaming) {
            notes.add("streaming: the reply came in " + text.textDeltas + " text delta(s)");
        }
        if (text.ok && !text.usage) {
            notes.add("usage in stream: none; LocaLLM counts the deltas and estimates the prompt");
        }
        Observed calls = observe(server, ChatRequest.builder().user("Call the tool.").tools(PROBE_TOOL)
                .toolChoice(ToolChoice.REQUIRED).options(CALL_OPTIONS), notes, "tools");
        Observed refused = observe(server, ChatRequest.builder().user("Say hello. Do not call any tool.")
                .tools(PROBE_TOOL).toolChoice(ToolChoice.REQUIRED).options(CALL_OPTIONS), notes, "tool_choice");
        if (!server.traits().sendsTools()) {
            notes.add("tools: the server takes no tools: " + server.traits().whyNoTools() + "; LocaLLM describes "
                    + "them in the prompt and recovers calls from the text" + (server.dialect().schemaPlacement()
                    == Dialect.SchemaPlacement.GBNF ? ", enforcing forced calls with its grammar" : ""));
        } else {
            if (calls.ok && calls.toolDeltas == 0) {
                notes.add("tools: under tool_choice=required the reply had no structured call"
                        + ("length".equals(calls.finishReason) ? " (cut at " + CALL_OPTIONS.maxTokens().getAsInt()
                                + " tokens)" : "") + ": " + abbreviate(calls.text.toString()));
            }
            if (calls.toolDeltas == 1) {
                notes.add("streamed tool deltas: " + (server.traits().toolsInStream() ? "the call came in one piece"
                        : "the server refuses tools in streams; LocaLLM sends them without streaming"));
            }
            if (refused.ok && refused.toolDeltas == 0) {
                notes.add("tool_choice: asked for text under tool_choice=required, the reply was text, so the server "
                        + "does not enforce the choice; LocaLLM checks it and re-asks");
            }
        }
        JsonSchema schema = JsonSchema.parse(PROBE_SCHEMA);
        Observed structured = observe(server, ChatRequest.builder().user("Say hello.")
                .responseFormat(ResponseFormat.jsonSchema("probe", schema)), notes, "json_schema");
        boolean enforced = structured.ok && schema.validate(structured.text.toString()).isEmpty();
        if (structured.ok && !enforced) {
            notes.add("json_schema: the reply did not match the schema: " + abbreviate(structured.text.toString()));
        }
        boolean embeddings;
        try {
            new RemoteEmbeddingEngine(server);
            embeddings = true;
        } catch (LocalLmException e) {
            embeddings = false;
            notes.add("embeddings: " + e.getMessage());
        }
        return new RemoteCapabilities(server.transport().baseUrl(), server.model(), server.dialect(), streaming,
                text.usage, calls.toolDeltas > 0, calls.toolDeltas > 1, refused.toolDeltas > 0, enforced, embeddings,
                notes);
    }

    /** What one streamed probe produced. */
    private static final class Observed {
        boolean ok;
        int textDeltas;
        int toolDeltas;
        boolean usage;
        String finishReason;
        final StringBuilder text = new StringBuilder();
    }

    private static Observed observe(RemoteServer server, ChatRequest.Builder builder, List<String> notes,
            String feature) {
        ChatRequest built = builder.build();
        ChatRequest request = built.options().maxTokens().isPresent() ? built : built.withOptions(PROBE_OPTIONS);
        Observed seen = new Observed();
        long deadline = server.transport().deadline();
        EventStream stream;
        try {
            stream = server.openStream("/chat/completions", RequestWriter.chat(request, server),
                    () -> RequestWriter.chat(request, server), deadline);
        } catch (RemoteUnreachableException e) {
            throw new ModelLoadException(e.getMessage(), e);
        } catch (LocalLmException e) {
            notes.add(feature + ": " + e.getMessage());
            return seen;
        }
        try {
            SseParser.Event event;
            while ((event = stream.next(server.options().readTimeout().toNanos(), deadline)) != null) {
                if (event.isDone()) {
                    break;
                }
                String data = event.text().strip();
                if (data.isEmpty()) {
                    continue;
                }
                JsonNode chunk = JsonMapper.shared().readTree(data);
                if (chunk.path("usage").isObject()) {
                    seen.usage = true;
                }
                JsonNode choice = chunk.path("choices").path(0);
                if (choice.path("finish_reason").isString()) {
                    seen.finishReason = choice.get("finish_reason").asString();
                }
                JsonNode delta = choice.has("message") ? choice.get("message") : choice.path("delta");
                if (delta.path("content").isString() && !delta.path("content").asString().isEmpty()) {
                    seen.textDeltas++;
                    seen.text.append(delta.path("content").asString());
                }
                if (delta.path("tool_calls").isArray()) {
                    seen.toolDeltas += delta.path("tool_calls").size();
                }
            }
            seen.ok = true;
        } catch (IOException | EventStream.Stalled | RuntimeException e) {
            notes.add(feature + ": the stream failed: " + e);
        } finally {
            stream.cancel();
        }
        return seen;
    }

    private static String abbreviate(String s) {
        return s.length() <= 120 ? s : s.substring(0, 120) + "...";
    }
}
