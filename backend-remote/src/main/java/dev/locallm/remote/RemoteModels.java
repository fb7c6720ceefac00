package dev.locallm.remote;

import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.GenerationOptions;
import dev.locallm.chat.ResponseFormat;
import dev.locallm.error.LocalLmException;
import dev.locallm.schema.JsonSchema;
import dev.locallm.spi.ModelLocation;
import dev.locallm.tool.ToolChoice;
import dev.locallm.tool.ToolSpec;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Tools for remote models that are not a {@link dev.locallm.ChatModel}: {@link #probe} finds out what a server
 * really supports. Stateless; thread-safe.
 */
public final class RemoteModels {
    /** A schema no model would follow by chance: one required integer field with one allowed value. */
    private static final String PROBE_SCHEMA = "{\"type\":\"object\",\"properties\":{\"probe_7319\":{\"type\":"
            + "\"integer\",\"enum\":[7319]}},\"required\":[\"probe_7319\"],\"additionalProperties\":false}";
    private static final GenerationOptions PROBE_OPTIONS = GenerationOptions.of(o -> o.maxTokens(48).temperature(0));
    private static final ToolSpec PROBE_TOOL = ToolSpec.of("record_city", "Records a city name", JsonSchema.parse(
            "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}"));

    private RemoteModels() {
    }

    /**
     * Sends a few tiny requests (a handful of tokens each) to the model at {@code uri} (an {@code openai:} URI,
     * as for {@link dev.locallm.LocalLm#chatModel}) and reports what worked. Never throws for a feature that
     * fails; throws only when the server cannot be reached at all.
     */
    public static RemoteCapabilities probe(String uri) {
        return probe(uri, RemoteOptions.builder().build());
    }

    /** {@link #probe(String)} with options (an API key, timeouts). */
    public static RemoteCapabilities probe(String uri, RemoteOptions options) {
        ModelLocation location = ModelLocation.parse(uri);
        RemoteServer server = RemoteServer.open(location, options);
        List<String> notes = new ArrayList<>();

        Observed text = observe(server, chat(server, ChatRequest.builder().user("Say hello in five words.")), notes,
                "streaming");
        Observed calls = observe(server, chat(server, ChatRequest.builder().user("Call the tool.").tools(PROBE_TOOL)
                .toolChoice(ToolChoice.REQUIRED)), notes, "tools");
        Observed refused = observe(server, chat(server, ChatRequest.builder().user("Say hello. Do not call any tool.")
                .tools(PROBE_TOOL).toolChoice(ToolChoice.REQUIRED)), notes, "tool_choice");
        JsonSchema schema = JsonSchema.parse(PROBE_SCHEMA);
        Observed structured = observe(server, RequestWriter.chat(ChatRequest.builder().user("Say hello.")
                .responseFormat(ResponseFormat.jsonSchema("probe", schema)).options(PROBE_OPTIONS).build(),
                server.model(), server.dialect(), true), notes,
                "json_schema");
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
        return new RemoteCapabilities(server.transport().baseUrl(), server.model(), server.dialect(),
                text.ok && text.textDeltas > 1, text.usage, calls.toolDeltas > 0, calls.toolDeltas > 1,
                refused.toolDeltas > 0, enforced, embeddings, notes);
    }

    private static ObjectNode chat(RemoteServer server, ChatRequest.Builder request) {
        return RequestWriter.chat(request.options(PROBE_OPTIONS).build(), server.model(), server.dialect(), true);
    }

    /** What one streamed probe produced. */
    private static final class Observed {
        boolean ok;
        int textDeltas;
        int toolDeltas;
        boolean usage;
        final StringBuilder text = new StringBuilder();
    }

    private static Observed observe(RemoteServer server, ObjectNode body, List<String> notes, String feature) {
        Observed seen = new Observed();
        long deadline = server.transport().deadline();
        EventStream stream;
        try {
            try {
                stream = server.transport().openStream("/chat/completions", body, deadline);
            } catch (RemoteServerException e) {
                if (e.status() != 400 || !e.body().contains("stream_options") || body.remove("stream_options") == null) {
                    throw e;
                }
                stream = server.transport().openStream("/chat/completions", body, deadline);
            }
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
                JsonNode delta = chunk.path("choices").path(0).path("delta");
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
