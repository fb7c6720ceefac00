package dev.locallm.remote;

import dev.locallm.error.InvalidRequestException;


/**
 * How one family of OpenAI-compatible servers differs from the OpenAI API, as far as LocaLLM relies on it:
 * where a JSON schema goes, whether {@code tool_choice} is honoured, whether {@code stream_options} may be sent,
 * which sampling extensions it accepts, and whether it enforces schemas while generating. Each constant documents
 * the behaviour it works around. Chosen with {@code dialect=} in the model URI or
 * {@link RemoteOptions.Builder#dialect}, or detected from {@code /v1/models} ({@link #AUTO}).
 *
 * <p>Whatever a server cannot enforce, LocaLLM checks: replies are validated against the schema and the tool
 * choice, and a blocking call re-asks with the validation errors ({@link RemoteOptions.Builder#repairAttempts}).
 * Immutable and thread-safe.
 */
public enum Dialect {
    /** Detect from the server's {@code /v1/models} answer; {@link #OPENAI} when nothing identifies it. */
    AUTO(false, false, true, false, SchemaPlacement.RESPONSE_FORMAT),

    /**
     * OpenAI's API, or any server that follows it strictly. Unknown fields are errors there, so no sampling
     * extension ({@code top_k}, {@code min_p}, repeat penalty) is sent. Schema enforcement is not assumed.
     */
    OPENAI(false, true, true, false, SchemaPlacement.RESPONSE_FORMAT),

    /**
     * LocaLLM's own server: strict OpenAI wire format plus {@code top_k}, {@code min_p} and
     * {@code repeat_penalty}; enforces JSON schemas and forced tool choices with a grammar.
     */
    LOCALLM(true, true, true, true, SchemaPlacement.RESPONSE_FORMAT),

    /**
     * LocalAI: OpenAI routes backed by llama.cpp and others. Accepts {@code top_k} and {@code repeat_penalty};
     * {@code response_format} json_schema is turned into a grammar on llama.cpp models only, so it is not
     * counted as enforced.
     */
    LOCALAI(true, true, true, false, SchemaPlacement.RESPONSE_FORMAT),

    /**
     * vLLM: {@code response_format} json_schema is enforced by guided decoding (older releases took
     * {@code guided_json} in the body, newer ones also {@code structured_outputs}; {@code response_format} works
     * across them). {@code tool_choice} "required" and named are enforced; "auto" needs the server started with
     * {@code --enable-auto-tool-choice --tool-call-parser}, and without a parser the calls stay in the text,
     * where LocaLLM recovers Hermes-style {@code <tool_call>} blocks. Some builds answer {@code stream_options}
     * with a 400: the request is then sent again without it, once, and usage is counted here (this fallback
     * applies to every dialect).
     */
    VLLM(true, true, true, true, SchemaPlacement.RESPONSE_FORMAT),

    /**
     * Ollama's {@code /v1} compatibility layer: {@code tool_choice} is accepted and ignored (its docs list it as
     * unsupported), so a forced choice is checked and re-asked here; releases before 0.8 sent tool calls in one
     * piece instead of streaming them. {@code response_format} json_schema maps to its {@code format} field
     * and is enforced. No {@code top_k}/{@code min_p} on this route.
     */
    OLLAMA(false, true, false, true, SchemaPlacement.RESPONSE_FORMAT),

    /**
     * llama.cpp's {@code llama-server}: takes a GBNF {@code grammar} directly, so LocaLLM sends the grammar it
     * compiled itself (the same one it enforces in-process) instead of relying on the server's schema
     * converter, which differs between builds. Tools need the server started with {@code --jinja}.
     */
    LLAMA_SERVER(true, true, true, true, SchemaPlacement.GBNF),

    /**
     * TabbyAPI (ExLlamaV2/V3): takes the schema as a top-level {@code json_schema} field; tool calling depends
     * on the model's template and {@code tool_choice} is not enforced.
     */
    TABBYAPI(true, true, false, true, SchemaPlacement.TOP_LEVEL_JSON_SCHEMA),

    /**
     * text-generation-webui's OpenAI extension: no {@code response_format} schema and no tools; with
     * llama.cpp loaders it accepts a GBNF {@code grammar_string}, which LocaLLM fills with its own grammar. Not
     * counted as enforced (other loaders ignore it); no usage in streams.
     */
    TEXT_GENERATION_WEBUI(true, false, false, false, SchemaPlacement.GRAMMAR_STRING),

    /**
     * LM Studio: {@code response_format} json_schema is enforced (llama.cpp and MLX engines); tool calls are
     * streamed as deltas; {@code tool_choice} is honoured by recent releases but not assumed.
     */
    LM_STUDIO(true, true, false, true, SchemaPlacement.RESPONSE_FORMAT);

    /** Where the JSON schema of a structured-output request is sent. */
    enum SchemaPlacement {
        /** {@code response_format: {type: json_schema, json_schema: {name, schema, strict}}}. */
        RESPONSE_FORMAT,
        /** A top-level {@code json_schema} field. */
        TOP_LEVEL_JSON_SCHEMA,
        /** LocaLLM's compiled GBNF grammar as {@code grammar}. */
        GBNF,
        /** LocaLLM's compiled GBNF grammar as {@code grammar_string}. */
        GRAMMAR_STRING
    }

    private final boolean samplingExtensions;
    private final boolean streamOptions;
    private final boolean honoursToolChoice;
    private final boolean enforcesSchema;
    private final SchemaPlacement schemaPlacement;

    Dialect(boolean samplingExtensions, boolean streamOptions, boolean honoursToolChoice, boolean enforcesSchema,
            SchemaPlacement schemaPlacement) {
        this.samplingExtensions = samplingExtensions;
        this.streamOptions = streamOptions;
        this.honoursToolChoice = honoursToolChoice;
        this.enforcesSchema = enforcesSchema;
        this.schemaPlacement = schemaPlacement;
    }

    /** Whether {@code top_k}, {@code min_p} and a repeat penalty may be sent. */
    boolean samplingExtensions() {
        return samplingExtensions;
    }

    /** Whether {@code stream_options: {include_usage: true}} may be sent. */
    boolean streamOptions() {
        return streamOptions;
    }

    /** Whether the server enforces {@code tool_choice} required and named. */
    public boolean honoursToolChoice() {
        return honoursToolChoice;
    }

    /** Whether the server constrains generation to the JSON schema. */
    public boolean enforcesSchema() {
        return enforcesSchema;
    }

    SchemaPlacement schemaPlacement() {
        return schemaPlacement;
    }

    /** The name used in model URIs: lower case with dashes, such as {@code llama-server}. */
    public String uriName() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    /** The dialect with this URI name (or constant name), case-insensitive. */
    static Dialect of(String name) {
        String n = name.strip().toUpperCase(java.util.Locale.ROOT).replace('-', '_');
        for (Dialect d : values()) {
            if (d.name().equals(n)) {
                return d;
            }
        }
        throw new dev.locallm.error.InvalidRequestException("Unknown dialect '" + name + "'; one of "
                + java.util.Arrays.stream(values()).map(Dialect::uriName).toList(), "dialect");
    }
}
