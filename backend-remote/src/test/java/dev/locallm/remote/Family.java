package dev.locallm.remote;

/**
 * How each server family behaves on the wire, as its documentation and its users' bug reports describe it: the
 * fixture server ({@link FamilyServer}) replays these shapes, and the dialect of the same name must cope.
 */
enum Family {
    /** OpenAI's own API: usage in a last chunk with empty choices, streamed tool deltas, strict schemas. */
    OPENAI(Dialect.OPENAI, "openai", Usage.LAST_CHUNK, Calls.STREAMED, true, Schema.RESPONSE_FORMAT, Errors.OPENAI, false),
    /** LocalAI: usage on the finishing chunk, each call in one delta, schemas not reliably enforced. */
    LOCALAI(Dialect.LOCALAI, null, Usage.ON_FINISH, Calls.WHOLE, true, Schema.IGNORED, Errors.OPENAI, false),
    /**
     * vLLM without a tool parser: forced calls come back structured (guided decoding), "auto" calls stay in the
     * text as Hermes blocks; this build rejects {@code stream_options}.
     */
    VLLM(Dialect.VLLM, "vllm", Usage.LAST_CHUNK, Calls.STREAMED_AUTO_IN_TEXT, true, Schema.RESPONSE_FORMAT,
            Errors.VLLM, true),
    /** Ollama: ignores tool_choice, sends each call whole with finish reason "stop", truncates long prompts. */
    OLLAMA(Dialect.OLLAMA, "library", Usage.LAST_CHUNK, Calls.WHOLE_STOP, false, Schema.RESPONSE_FORMAT,
            Errors.NONE_TRUNCATES, false),
    /** llama-server: usage and timings on the finishing chunk, takes a GBNF grammar, context errors with counts. */
    LLAMA_SERVER(Dialect.LLAMA_SERVER, "llamacpp", Usage.ON_FINISH, Calls.STREAMED, true, Schema.GBNF,
            Errors.LLAMA_SERVER, false),
    /** TabbyAPI: top-level json_schema, tool_choice not enforced, FastAPI error bodies. */
    TABBYAPI(Dialect.TABBYAPI, "tabbyAPI", Usage.LAST_CHUNK, Calls.STREAMED, false, Schema.TOP_LEVEL,
            Errors.FASTAPI, false),
    /** text-generation-webui: no tools, no usage in streams, grammar_string. */
    TEXT_GENERATION_WEBUI(Dialect.TEXT_GENERATION_WEBUI, null, Usage.NONE, Calls.NONE, false, Schema.GRAMMAR_STRING,
            Errors.OPENAI, false),
    /** LM Studio: streamed tool deltas, enforced schemas, error bodies with a plain string. */
    LM_STUDIO(Dialect.LM_STUDIO, "organization_owner", Usage.LAST_CHUNK, Calls.STREAMED, false,
            Schema.RESPONSE_FORMAT, Errors.STRING, false);

    enum Usage { LAST_CHUNK, ON_FINISH, NONE }

    enum Calls { STREAMED, STREAMED_AUTO_IN_TEXT, WHOLE, WHOLE_STOP, NONE }

    enum Schema { RESPONSE_FORMAT, TOP_LEVEL, GBNF, GRAMMAR_STRING, IGNORED }

    enum Errors { OPENAI, VLLM, LLAMA_SERVER, FASTAPI, STRING, NONE_TRUNCATES }

    final Dialect dialect;
    /** {@code owned_by} in {@code /v1/models}; {@code null} when the family sends none (not detectable). */
    final String ownedBy;
    final Usage usage;
    final Calls calls;
    final boolean honoursToolChoice;
    final Schema schema;
    final Errors errors;
    final boolean rejectsStreamOptions;

    Family(Dialect dialect, String ownedBy, Usage usage, Calls calls, boolean honoursToolChoice, Schema schema,
            Errors errors, boolean rejectsStreamOptions) {
        this.dialect = dialect;
        this.ownedBy = ownedBy;
        this.usage = usage;
        this.calls = calls;
        this.honoursToolChoice = honoursToolChoice;
        this.schema = schema;
        this.errors = errors;
        this.rejectsStreamOptions = rejectsStreamOptions;
    }
}
