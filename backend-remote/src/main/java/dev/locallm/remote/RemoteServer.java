package dev.locallm.remote;

import dev.locallm.error.LocalLmException;
import dev.locallm.error.ModelLoadException;
import dev.locallm.spi.ModelLocation;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * A remote server as found at open time: its transport, dialect, the model name to use and what it says about
 * that model. Immutable.
 *
 * @param transport     HTTP to the server
 * @param dialect       the server family (never {@link Dialect#AUTO})
 * @param model         the model name sent with each request
 * @param contextLength the context length it reported or the options gave; 0 when unknown
 * @param options       the effective options
 */
record RemoteServer(HttpTransport transport, Dialect dialect, String model, int contextLength, RemoteOptions options) {

    /** Connects to the server of a location: lists its models when needed, detects the dialect. */
    static RemoteServer open(ModelLocation location, RemoteOptions given) {
        RemoteOptions options = given.withParameters(location.parameters());
        HttpTransport transport = new HttpTransport(location.path(), options);
        JsonNode models = null;
        String serverName = "";
        if (options.model() == null || options.dialect() == Dialect.AUTO || options.contextLength() == 0) {
            try {
                HttpTransport.Document listing = transport.getDocument("/models");
                models = listing.json();
                serverName = listing.server();
            } catch (LocalLmException e) {
                if (options.model() == null) {
                    throw new ModelLoadException("Could not list the models of " + transport.baseUrl()
                            + " to pick one; name it with ?model=NAME (" + e.getMessage() + ")", e);
                }
            }
        }
        List<JsonNode> entries = new ArrayList<>();
        if (models != null && models.path("data").isArray()) {
            models.get("data").forEach(entries::add);
        }
        String model = options.model();
        if (model == null) {
            if (entries.isEmpty() || !entries.get(0).path("id").isString()) {
                throw new ModelLoadException("The server at " + transport.baseUrl() + " lists no model; name it with "
                        + "?model=NAME");
            }
            model = entries.get(0).get("id").asString();
        }
        String wanted = model;
        JsonNode entry = entries.stream().filter(e -> wanted.equals(e.path("id").asString(""))).findFirst()
                .orElse(null);
        if (entry == null && !entries.isEmpty()) {
            throw new ModelLoadException("The server at " + transport.baseUrl() + " has no model '" + model
                    + "'; it lists " + entries.stream().map(e -> e.path("id").asString("?")).toList());
        }
        Dialect dialect = options.dialect() != Dialect.AUTO ? options.dialect() : detect(entry, serverName);
        int context = options.contextLength() > 0 ? options.contextLength() : contextLength(entry);
        return new RemoteServer(transport, dialect, model, context, options);
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

    /** The context length a models entry reports, in the field each family uses; 0 when none does. */
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
        if (meta.path("n_ctx").isIntegralNumber()) {
            return meta.get("n_ctx").asInt();
        }
        return meta.path("n_ctx_train").isIntegralNumber() ? meta.get("n_ctx_train").asInt() : 0;
    }
}
