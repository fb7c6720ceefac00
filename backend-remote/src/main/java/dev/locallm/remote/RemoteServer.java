package dev.locallm.remote;

import dev.locallm.error.LocalLmException;
import dev.locallm.error.ModelLoadException;
import dev.locallm.spi.ModelLocation;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * A remote server as found at open time: its transport, dialect, the model name to use, its context and what
 * else it said about itself ({@link ServerTraits}, which also learns what the server refuses later).
 *
 * @param transport     HTTP to the server
 * @param dialect       the server family (never {@link Dialect#AUTO})
 * @param model         the model name sent with each request
 * @param contextLength the context of one request as the options gave it or the server reported it; 0 when
 *                      unknown (the server then decides alone)
 * @param options       the effective options
 * @param traits        what the server said and refused; shared by every request to it
 */
record RemoteServer(HttpTransport transport, Dialect dialect, String model, int contextLength, RemoteOptions options,
        ServerTraits traits) {
    private static final Pattern NUM_CTX = Pattern.compile("(?m)^\\s*num_ctx\\s+(\\d+)");
    private static final Logger LOG = LoggerFactory.getLogger(RemoteServer.class);

    /**
     * Connects to the server of a location: lists its models when needed, detects the dialect, and asks a
     * llama-server for its properties.
     *
     * @throws ModelLoadException when the server cannot be reached, lists no model, or does not serve the one named
     */
    static RemoteServer open(ModelLocation location, RemoteOptions given) {
        return open(location.path(), given.withParameters(location.parameters()));
    }

    /** {@link #open(ModelLocation, RemoteOptions)} for a base URL and options with the location's parameters. */
    static RemoteServer open(String baseUrl, RemoteOptions options) {
        HttpTransport transport = new HttpTransport(baseUrl, options);
        JsonNode models = null;
        String serverName = "";
        if (options.model() == null || options.dialect() == Dialect.AUTO || options.contextLength() == 0) {
            try {
                HttpTransport.Document listing = transport.getDocument("/models");
                models = listing.json();
                serverName = listing.server();
            } catch (RemoteUnreachableException e) {
                throw new ModelLoadException(e.getMessage(), e);
            } catch (LocalLmException e) {
                if (options.model() == null) {
                    throw new ModelLoadException("Could not list the models of " + transport.baseUrl()
                            + " to pick one; name it with ?model=NAME (" + e.getMessage() + ")", e);
                }
                LOG.debug("{} did not list its models: {}", transport.baseUrl(), e.getMessage());
            }
        }
        List<JsonNode> entries = new ArrayList<>();
        if (models != null && models.path("data").isArray()) {
            models.get("data").forEach(entries::add);
        }
        JsonNode entry = entry(entries, options.model(), serverName, transport.baseUrl());
        String model = entry != null ? entry.get("id").asString() : options.model();
        Dialect dialect = options.dialect() != Dialect.AUTO ? options.dialect() : detect(entry, serverName);
        LOG.debug("{}: dialect {} ({}), model '{}'", transport.baseUrl(), dialect.uriName(),
                options.dialect() != Dialect.AUTO ? "given" : "detected from owned_by '"
                        + (entry == null ? "" : entry.path("owned_by").asString("")) + "' and Server header '"
                        + serverName + "'", model);
        ServerTraits traits = switch (dialect) {
            case LLAMA_SERVER -> llamaServerTraits(transport);
            case OLLAMA -> new ServerTraits(transport.baseUrl(), ollamaContext(transport, model), null);
            case LM_STUDIO -> new ServerTraits(transport.baseUrl(), lmStudioContext(transport, model), null);
            default -> new ServerTraits(transport.baseUrl(), 0, null);
        };
        int context = options.contextLength() > 0 ? options.contextLength()
                : traits.reportedContext() > 0 ? traits.reportedContext() : contextLength(entry);
        LOG.debug("{}: context {} ({}); {}", transport.baseUrl(), context > 0 ? context : "unknown",
                options.contextLength() > 0 ? "given" : traits.reportedContext() > 0 ? "the server's own"
                        : context > 0 ? "from /v1/models" : "the server decides", traits);
        return new RemoteServer(transport, dialect, model, context, options, traits);
    }

    /**
     * Opens a stream for a request; when the server refuses part of it in a way {@link ServerTraits.Refusal}
     * knows, learns that and sends the request again as {@code body} now writes it (a request written before
     * another one taught the same thing is sent again too; one that comes out the same is not).
     *
     * @param request the request, as {@code body} wrote it
     */
    EventStream openStream(String path, ObjectNode request, Supplier<ObjectNode> body, long deadline) {
        ObjectNode sent = request;
        while (true) {
            try {
                return transport.openStream(path, sent, deadline);
            } catch (RemoteServerException e) {
                ServerTraits.Refusal refusal = ServerTraits.Refusal.in(e);
                if (refusal == null) {
                    throw e;
                }
                traits.learn(refusal);
                ObjectNode again = body.get();
                if (again.equals(sent)) {
                    throw e;
                }
                sent = again;
                LOG.debug("{} refused the request ({}); sending it again as it takes it: {}", transport.baseUrl(),
                        e.getMessage(), traits);
            }
        }
    }

    /**
     * The listing's entry for the model named (the first one when none is): by its id, else by its file name (a
     * llama-server lists the path it loaded), else, on a server that serves one model whatever the name
     * (llama-server), that model. {@code null} when the server listed nothing.
     *
     * @throws ModelLoadException when no model is named and none is listed, or the named one is not served
     */
    private static JsonNode entry(List<JsonNode> entries, String wanted, String serverName, String baseUrl) {
        List<JsonNode> named = entries.stream().filter(e -> e.path("id").isString()).toList();
        if (wanted == null) {
            if (named.isEmpty()) {
                throw new ModelLoadException("The server at " + baseUrl + " lists no model; name it with ?model=NAME");
            }
            return named.get(0);
        }
        if (entries.isEmpty()) {
            return null;
        }
        for (JsonNode e : named) {
            if (wanted.equals(e.get("id").asString())) {
                return e;
            }
        }
        List<JsonNode> byFile = named.stream().filter(e -> fileNameMatches(e.get("id").asString(), wanted)).toList();
        if (byFile.size() == 1) {
            return byFile.get(0);
        }
        if (named.size() == 1 && detect(named.get(0), serverName) == Dialect.LLAMA_SERVER) {
            LOG.debug("{} serves one model whatever the name; '{}' is '{}'", baseUrl, wanted,
                    named.get(0).get("id").asString());
            return named.get(0);
        }
        throw new ModelLoadException("The server at " + baseUrl + " has no model '" + wanted + "'; it lists "
                + named.stream().map(e -> e.get("id").asString()).toList());
    }

    /** Whether a listed id that is a path names the file {@code wanted}, with or without its extension. */
    private static boolean fileNameMatches(String id, String wanted) {
        String file = id.substring(Math.max(id.lastIndexOf('/'), id.lastIndexOf('\\')) + 1);
        int dot = file.lastIndexOf('.');
        return file.equals(wanted) || dot > 0 && file.substring(0, dot).equals(wanted);
    }

    /**
     * The context an Ollama model runs with when its Modelfile sets one ({@code num_ctx} in {@code /api/show}'s
     * parameters); 0 otherwise: Ollama then uses its own default (2,048 or 4,096 tokens depending on the release,
     * or {@code OLLAMA_CONTEXT_LENGTH}), which no endpoint reports, and cuts longer prompts without a word.
     */
    private static int ollamaContext(HttpTransport transport, String model) {
        try {
            JsonNode show = transport.postJson("/../api/show", JsonMapper.shared().createObjectNode()
                    .put("model", model));
            Matcher m = NUM_CTX.matcher(show.path("parameters").asString(""));
            if (m.find()) {
                return Integer.parseInt(m.group(1));
            }
            LOG.info("{}: Ollama runs '{}' with its default context, which it does not report and past which it "
                    + "cuts prompts without a word; set num_ctx in the Modelfile, or ctx= here, to have prompts "
                    + "checked", transport.baseUrl(), model);
        } catch (LocalLmException | NumberFormatException e) {
            LOG.debug("{}: no /api/show ({})", transport.baseUrl(), e.getMessage());
        }
        return 0;
    }

    /** The context LM Studio loaded the model with ({@code /api/v0/models/ID}); 0 when it does not say. */
    private static int lmStudioContext(HttpTransport transport, String model) {
        try {
            JsonNode info = transport.getJson("/../api/v0/models/" + URLEncoder.encode(model, StandardCharsets.UTF_8));
            return info.path("loaded_context_length").asInt(info.path("max_context_length").asInt(0));
        } catch (LocalLmException e) {
            LOG.debug("{}: no /api/v0/models ({})", transport.baseUrl(), e.getMessage());
            return 0;
        }
    }

    /** What a llama-server says in {@code /props}; nothing when it does not answer (started with props off). */
    private static ServerTraits llamaServerTraits(HttpTransport transport) {
        try {
            JsonNode props = transport.getJson("/../props");
            JsonNode caps = props.path("chat_template_caps");
            Boolean callsTools = caps.path("supports_tool_calls").isBoolean()
                    ? caps.get("supports_tool_calls").asBoolean() : null;
            LOG.debug("{}: llama-server {}", transport.baseUrl(), props.path("build_info").asString("(no build_info)"));
            return new ServerTraits(transport.baseUrl(), props.path("default_generation_settings").path("n_ctx")
                    .asInt(0), callsTools);
        } catch (LocalLmException e) {
            LOG.debug("{}: no /props ({})", transport.baseUrl(), e.getMessage());
            return new ServerTraits(transport.baseUrl(), 0, null);
        }
    }

    /**
     * The server family from a {@code /v1/models} entry's {@code owned_by} (and fields only one family sends),
     * then from the {@code Server} header of that answer; {@link Dialect#OPENAI} when nothing identifies it.
     * Heuristics, hence overridable with {@code dialect=}. Only llama-server names itself in the header
     * ({@code Server: llama.cpp}, set by its HTTP library's default headers), which identifies builds whose
     * model list has neither {@code owned_by} nor {@code meta}. vLLM, TabbyAPI and text-generation-webui run on
     * uvicorn, whose {@code server: uvicorn} does not tell them apart.
     */
    static Dialect detect(JsonNode entry, String serverHeader) {
        if (entry == null) {
            return serverHeader.startsWith("llama.cpp") ? Dialect.LLAMA_SERVER : Dialect.OPENAI;
        }
        String owner = entry.path("owned_by").asString("");
        if (owner.equals("locallm")) {
            return Dialect.LOCALLM;
        }
        if (owner.equals("vllm") || entry.has("max_model_len")) {
            return Dialect.VLLM;
        }
        if (owner.equals("llamacpp") || entry.path("meta").has("n_ctx_train")) {
            return Dialect.LLAMA_SERVER;
        }
        if (owner.equals("library") || owner.equals("ollama")) {
            return Dialect.OLLAMA;
        }
        if (owner.equalsIgnoreCase("tabbyapi")) {
            return Dialect.TABBYAPI;
        }
        if (owner.equals("organization_owner") || owner.equals("lmstudio")) {
            return Dialect.LM_STUDIO;
        }
        if (owner.equals("localai")) {
            return Dialect.LOCALAI;
        }
        return serverHeader.startsWith("llama.cpp") ? Dialect.LLAMA_SERVER : Dialect.OPENAI;
    }

    /**
     * The context length a models entry reports, in the field each family uses; 0 when none does. A model's
     * training context ({@code meta.n_ctx_train}) is not one: the server may run it with less or more.
     */
    static int contextLength(JsonNode entry) {
        if (entry == null) {
            return 0;
        }
        for (String field : List.of("context_length", "max_model_len", "max_context_length")) {
            if (entry.path(field).isIntegralNumber()) {
                return entry.get(field).asInt();
            }
        }
        JsonNode meta = entry.path("meta");
        return meta.path("n_ctx").isIntegralNumber() ? meta.get("n_ctx").asInt() : 0;
    }
}
