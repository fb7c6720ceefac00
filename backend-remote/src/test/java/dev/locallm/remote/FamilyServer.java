package dev.locallm.remote;

import com.sun.net.httpserver.HttpExchange;
import dev.locallm.engine.grammar.JsonSchemaGrammar;
import dev.locallm.error.UnsupportedSchemaException;
import dev.locallm.schema.JsonSchema;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A loopback server that answers like one {@link Family}: the same JSON shapes, chunk layout, usage placement,
 * tool-call style, schema parameter and error bodies, with a tiny deterministic "model" behind them (a story
 * told word by word, the shortest JSON a schema or grammar allows, calls with the shortest valid arguments).
 * It honours {@code max_tokens}, {@code stop} and, where the family does, {@code tool_choice}.
 */
final class FamilyServer implements AutoCloseable {
    static final int CONTEXT = 2048;
    private static final String[] STORY = ("Once upon a time there was a little dog named Max . He loved to run in "
            + "the park with his friend Lily . One day they found a big red ball under a tall tree and they played "
            + "with it all afternoon until the sun went down").split(" ");
    private static final int STORY_TOKENS = 60;

    final Family family;
    final ScriptedHttpServer http = new ScriptedHttpServer();

    FamilyServer(Family family) {
        this.family = family;
        http.script("/v1/models", (ex, body) -> {
            if (family == Family.LLAMA_SERVER) {
                ex.getResponseHeaders().set("Server", "llama.cpp");
            } else if (family == Family.VLLM || family == Family.TABBYAPI || family == Family.TEXT_GENERATION_WEBUI) {
                ex.getResponseHeaders().set("Server", "uvicorn");
            }
            ScriptedHttpServer.json(ex, 200, models());
        });
        if (family == Family.LLAMA_SERVER) {
            http.script("/props", (ex, body) -> ScriptedHttpServer.json(ex, 200, "{\"default_generation_settings\":"
                    + "{\"n_ctx\":" + CONTEXT + "},\"total_slots\":1,\"build_info\":\"fixture\"}"));
        }
        http.script("/v1/chat/completions", this::chat);
        http.script("/v1/completions", this::completion);
        http.script("/v1/embeddings", this::embeddings);
    }

    String baseUrl() {
        return http.baseUrl();
    }

    /** The remote URI for this family's chat model: the dialect is detected where the family can be told. */
    String uri(String extra) {
        String dialect = family.ownedBy == null ? "&dialect=" + family.dialect.uriName() : "";
        String ctx = family == Family.VLLM || family == Family.LLAMA_SERVER ? "" : "&ctx=" + CONTEXT;
        return "openai:" + baseUrl() + "?model=m" + dialect + ctx + (extra.isEmpty() ? "" : "&" + extra);
    }

    private String models() {
        ObjectNode root = JsonMapper.shared().createObjectNode().put("object", "list");
        ArrayNode data = root.putArray("data");
        for (String id : List.of("m", "e")) {
            ObjectNode m = data.addObject().put("id", id).put("object", "model").put("created", 1700000000);
            if (family.ownedBy != null) {
                m.put("owned_by", family.ownedBy);
            }
            if (family == Family.VLLM) {
                m.put("root", id).put("max_model_len", CONTEXT);
            }
            if (family == Family.LLAMA_SERVER) {
                m.putObject("meta").put("n_ctx_train", CONTEXT).put("n_vocab", 32000);
            }
        }
        return root.toString();
    }

    // ---- the "model"

    private static int words(String s) {
        return s.isBlank() ? 0 : s.strip().split("\\s+").length;
    }

    private static int promptTokens(JsonNode body) {
        int n = 0;
        for (JsonNode m : body.path("messages")) {
            n += words(m.path("content").asString("")) + 3;
        }
        return n + words(body.path("prompt").asString(""));
    }

    /** The story: as long as {@code max_tokens} asks (so it ends by length), or 60 words when it is absent. */
    private static List<String> story(JsonNode body) {
        int offset = body.path("temperature").asDouble(1) > 0 ? (int) (body.path("seed").asLong(0) % STORY.length) : 0;
        List<String> tokens = new ArrayList<>();
        int length = body.path("max_tokens").asInt(STORY_TOKENS);
        for (int i = 0; i < length; i++) {
            tokens.add((i == 0 ? "" : " ") + STORY[(offset + i) % STORY.length]);
        }
        return tokens;
    }

    private static List<String> pieces(String text) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < text.length(); i += 4) {
            out.add(text.substring(i, Math.min(text.length(), i + 4)));
        }
        return out;
    }

    /**
     * The shortest JSON a schema allows. A server's own engine enforces keywords LocaLLM's grammar compiler does
     * not (vLLM's xgrammar, for one): those are left out of the grammar, and the shortest JSON happens to satisfy
     * them in the contract suites' schemas.
     */
    private static String shortestJson(String schema) {
        JsonNode node = JsonMapper.shared().readTree(schema);
        while (true) {
            try {
                return JsonSchemaGrammar.compile(JsonSchema.parse(node.toString())).start().shortestCompletion();
            } catch (UnsupportedSchemaException e) {
                JsonNode at = node.at(e.pointer().substring(1));
                if (!(at instanceof ObjectNode o) || o.remove(e.keyword()) == null) {
                    throw e;
                }
            }
        }
    }

    private static String lastUser(JsonNode body) {
        String last = "";
        for (JsonNode m : body.path("messages")) {
            if (m.path("role").asString("").equals("user")) {
                last = m.path("content").asString("");
            }
        }
        return last;
    }

    /** The JSON the family produces for a structured-output request, or null when the request asks for none. */
    private String json(JsonNode body) {
        JsonNode rf = body.path("response_format");
        String asked = rf.path("type").asString("").equals("json_schema") ? rf.path("json_schema").path("schema").toString()
                : rf.path("type").asString("").equals("json_object") ? "{\"type\":\"object\"}" : null;
        return switch (family.schema) {
            case RESPONSE_FORMAT -> asked == null ? null : shortestJson(asked);
            case TOP_LEVEL -> body.has("json_schema") ? shortestJson(body.get("json_schema").toString()) : null;
            case GBNF -> body.has("grammar") ? GbnfShortest.of(body.get("grammar").asString()) : null;
            case GRAMMAR_STRING -> body.has("grammar_string") ? GbnfShortest.of(body.get("grammar_string").asString())
                    : null;
            // the schema is not enforced: prose first, and JSON once asked again with the errors
            case IGNORED -> asked == null ? null : lastUser(body).startsWith("That reply is not valid JSON")
                    ? shortestJson(asked) : "Sure! Here is the product you asked for.";
        };
    }

    private record Call(String id, String name, String arguments) { }

    /** The calls the family makes, or an empty list for a text reply. */
    private List<Call> calls(JsonNode body) {
        JsonNode tools = body.path("tools");
        if (!tools.isArray() || tools.isEmpty() || family.calls == Family.Calls.NONE) {
            return List.of();
        }
        JsonNode choice = body.path("tool_choice");
        String mode = choice.isString() ? choice.asString() : choice.isObject() ? "named" : "auto";
        String user = lastUser(body);
        boolean call = family.honoursToolChoice
                ? mode.equals("required") || mode.equals("named") || mode.equals("auto") && user.endsWith("?")
                : user.contains("?") || user.contains("Call ");
        if (!call) {
            return List.of();
        }
        JsonNode tool = tools.get((int) (body.path("seed").asLong(0) % tools.size()));
        if (family.honoursToolChoice && mode.equals("named")) {
            String name = choice.path("function").path("name").asString();
            for (JsonNode t : tools) {
                if (t.path("function").path("name").asString("").equals(name)) {
                    tool = t;
                }
            }
        }
        JsonNode f = tool.path("function");
        String parameters = f.has("parameters") ? f.get("parameters").toString() : "{\"type\":\"object\"}";
        return List.of(new Call("call_" + Integer.toHexString(user.hashCode() & 0xffff), f.path("name").asString(),
                shortestJson(parameters)));
    }

    // ---- endpoints

    private void chat(HttpExchange ex, String raw) throws IOException {
        JsonNode body = JsonMapper.shared().readTree(raw);
        if (family.rejectsStreamOptions && body.has("stream_options")) {
            ScriptedHttpServer.json(ex, 400, "{\"object\":\"error\",\"message\":\"[{'type': 'extra_forbidden', 'loc': "
                    + "('body', 'stream_options'), 'msg': 'Extra inputs are not permitted'}]\",\"type\":"
                    + "\"BadRequestError\",\"param\":null,\"code\":400}");
            return;
        }
        if (contextError(ex, body)) {
            return;
        }
        OutputStream out = ScriptedHttpServer.sse(ex);
        event(out, delta(JsonMapper.shared().createObjectNode().put("role", "assistant").put("content", ""), null));
        int max = body.path("max_tokens").asInt(Integer.MAX_VALUE);
        List<Call> calls = calls(body);
        String json = json(body);
        int completion;
        String finish;
        if (!calls.isEmpty()) {
            completion = writeCalls(out, calls, body.path("tool_choice").asString("x").equals("auto"));
            finish = family.calls == Family.Calls.WHOLE_STOP
                    || family.calls == Family.Calls.STREAMED_AUTO_IN_TEXT && body.path("tool_choice").asString("").equals("auto")
                    ? "stop" : "tool_calls";
        } else {
            List<String> tokens = json != null ? pieces(json) : story(body);
            String[] result = writeText(out, tokens, max, json == null ? stops(body) : List.of());
            completion = Integer.parseInt(result[0]);
            finish = result[1];
        }
        ObjectNode usage = JsonMapper.shared().createObjectNode().put("prompt_tokens", promptTokens(body))
                .put("completion_tokens", completion).put("total_tokens", promptTokens(body) + completion);
        ObjectNode last = delta(JsonMapper.shared().createObjectNode(), finish);
        if (family.usage == Family.Usage.ON_FINISH) {
            last.set("usage", usage);
            if (family == Family.LLAMA_SERVER) {
                last.putObject("timings").put("predicted_n", completion).put("predicted_per_second", 50.0);
            }
        }
        event(out, last);
        if (family.usage == Family.Usage.LAST_CHUNK && body.path("stream_options").path("include_usage").asBoolean()) {
            ObjectNode u = chunkEnvelope();
            u.putArray("choices");
            u.set("usage", usage);
            event(out, u);
        }
        out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
    }

    private static List<String> stops(JsonNode body) {
        List<String> stops = new ArrayList<>();
        JsonNode s = body.path("stop");
        if (s.isString()) {
            stops.add(s.asString());
        }
        s.forEach(x -> stops.add(x.asString()));
        return stops;
    }

    /** Writes text tokens up to {@code max} or a stop sequence; returns the count and the finish reason. */
    private String[] writeText(OutputStream out, List<String> tokens, int max, List<String> stops) throws IOException {
        StringBuilder text = new StringBuilder();
        int n = 0;
        for (String token : tokens) {
            if (n == max) {
                return new String[] {String.valueOf(n), "length"};
            }
            String before = text.toString();
            text.append(token);
            for (String stop : stops) {
                int at = text.indexOf(stop);
                if (at >= 0) {
                    String rest = text.substring(before.length(), Math.max(before.length(), at));
                    if (!rest.isEmpty()) {
                        event(out, delta(JsonMapper.shared().createObjectNode().put("content", rest), null));
                    }
                    return new String[] {String.valueOf(n + 1), "stop"};
                }
            }
            event(out, delta(JsonMapper.shared().createObjectNode().put("content", token), null));
            n++;
        }
        return new String[] {String.valueOf(n), n == max ? "length" : "stop"};
    }

    private int writeCalls(OutputStream out, List<Call> calls, boolean auto) throws IOException {
        int tokens = 0;
        for (int i = 0; i < calls.size(); i++) {
            Call c = calls.get(i);
            if (family.calls == Family.Calls.STREAMED_AUTO_IN_TEXT && auto) {
                for (String piece : pieces("<tool_call>\n{\"name\": \"" + c.name() + "\", \"arguments\": "
                        + c.arguments() + "}\n</tool_call>")) {
                    event(out, delta(JsonMapper.shared().createObjectNode().put("content", piece), null));
                    tokens++;
                }
                continue;
            }
            if (family.calls == Family.Calls.WHOLE || family.calls == Family.Calls.WHOLE_STOP) {
                ObjectNode d = JsonMapper.shared().createObjectNode();
                ObjectNode call = d.putArray("tool_calls").addObject();
                if (family.calls == Family.Calls.WHOLE) {
                    call.put("index", i);
                }
                call.put("id", c.id()).put("type", "function");
                call.putObject("function").put("name", c.name()).put("arguments", c.arguments());
                event(out, delta(d, null));
                tokens += pieces(c.arguments()).size();
                continue;
            }
            ObjectNode first = JsonMapper.shared().createObjectNode();
            ObjectNode open = first.putArray("tool_calls").addObject().put("index", i).put("id", c.id())
                    .put("type", "function");
            open.putObject("function").put("name", c.name()).put("arguments", "");
            event(out, delta(first, null));
            for (String piece : pieces(c.arguments())) {
                ObjectNode d = JsonMapper.shared().createObjectNode();
                d.putArray("tool_calls").addObject().put("index", i).putObject("function").put("arguments", piece);
                event(out, delta(d, null));
                tokens++;
            }
        }
        return tokens;
    }

    private boolean contextError(HttpExchange ex, JsonNode body) throws IOException {
        int prompt = promptTokens(body);
        int max = body.path("max_tokens").asInt(0);
        boolean over = prompt > CONTEXT || prompt + max > CONTEXT && family.errors != Family.Errors.LLAMA_SERVER;
        if (!over || family.errors == Family.Errors.NONE_TRUNCATES) {
            return false;
        }
        String message = "This model's maximum context length is " + CONTEXT + " tokens. However, you requested "
                + (prompt + max) + " tokens (" + prompt + " in the messages, " + max + " in the completion). Please "
                + "reduce the length of the messages or completion.";
        String quoted = JsonMapper.shared().writeValueAsString(message);
        String error = switch (family.errors) {
            case OPENAI -> "{\"error\":{\"message\":" + quoted + ",\"type\":\"invalid_request_error\",\"param\":"
                    + "\"messages\",\"code\":\"context_length_exceeded\"}}";
            case VLLM -> "{\"object\":\"error\",\"message\":" + quoted + ",\"type\":\"BadRequestError\",\"param\":null,"
                    + "\"code\":400}";
            case LLAMA_SERVER -> "{\"error\":{\"code\":400,\"message\":\"the request exceeds the available context "
                    + "size, try increasing it\",\"type\":\"exceed_context_size_error\",\"n_prompt_tokens\":" + prompt
                    + ",\"n_ctx\":" + CONTEXT + "}}";
            case FASTAPI -> "{\"detail\":" + quoted + "}";
            case STRING -> "{\"error\":" + quoted + "}";
            case NONE_TRUNCATES -> throw new IllegalStateException();
        };
        ScriptedHttpServer.json(ex, 400, error);
        return true;
    }

    private void completion(HttpExchange ex, String raw) throws IOException {
        JsonNode body = JsonMapper.shared().readTree(raw);
        if (family.rejectsStreamOptions && body.has("stream_options")) {
            ScriptedHttpServer.json(ex, 400, "{\"object\":\"error\",\"message\":\"stream_options: extra_forbidden\"}");
            return;
        }
        OutputStream out = ScriptedHttpServer.sse(ex);
        int max = body.path("max_tokens").asInt(16);
        List<String> tokens = story(body);
        int n = Math.min(max, tokens.size());
        for (int i = 0; i < n; i++) {
            ObjectNode c = chunkEnvelope().put("object", "text_completion");
            c.putArray("choices").addObject().put("index", 0).put("text", tokens.get(i)).putNull("finish_reason");
            event(out, c);
        }
        ObjectNode end = chunkEnvelope().put("object", "text_completion");
        end.putArray("choices").addObject().put("index", 0).put("text", "").put("finish_reason",
                n == max ? "length" : "stop");
        event(out, end);
        out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
    }

    private void embeddings(HttpExchange ex, String raw) throws IOException {
        JsonNode body = JsonMapper.shared().readTree(raw);
        String input = body.path("input").isArray() ? body.path("input").get(0).asString() : body.path("input").asString();
        ObjectNode root = JsonMapper.shared().createObjectNode().put("object", "list").put("model", "e");
        ArrayNode v = root.putArray("data").addObject().put("object", "embedding").put("index", 0).putArray("embedding");
        int h = input.hashCode();
        for (int i = 0; i < 8; i++) {
            v.add(((h >> i) & 0xff) / 255.0);
        }
        ScriptedHttpServer.json(ex, 200, root.toString());
    }

    private static ObjectNode chunkEnvelope() {
        return JsonMapper.shared().createObjectNode().put("id", "chatcmpl-1").put("object", "chat.completion.chunk")
                .put("created", 1700000000).put("model", "m");
    }

    private static ObjectNode delta(ObjectNode delta, String finish) {
        ObjectNode c = chunkEnvelope();
        ObjectNode choice = c.putArray("choices").addObject().put("index", 0);
        choice.set("delta", delta);
        if (finish == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", finish);
        }
        return c;
    }

    private static void event(OutputStream out, ObjectNode payload) throws IOException {
        out.write(("data: " + payload + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    @Override
    public void close() {
        http.close();
    }
}
