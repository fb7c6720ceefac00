package dev.locallm.engine;

import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.ResponseFormat;
import dev.locallm.engine.grammar.Grammar;
import dev.locallm.engine.grammar.JsonSchemaGrammar;
import dev.locallm.engine.grammar.ToolCallGrammar;
import dev.locallm.engine.toolcall.ToolCallFormat;
import dev.locallm.error.UnsupportedSchemaException;
import dev.locallm.schema.JsonSchema;
import dev.locallm.tool.ToolSpec;
import java.util.List;
import java.util.Optional;

/**
 * The grammar a request's output must follow, compiled once and cached (the 128 most recently used): the calls a
 * forced {@code tool_choice} asks for, or the JSON a response format asks for. What a grammar cannot enforce is
 * left to validation after generation and listed by {@link Grammar#unenforced()}, except for a
 * {@link ResponseFormat#isGrammarOnly() grammar-only} format, which refuses it. Stateless; thread-safe.
 *
 * <pre>{@code
 * Optional<Grammar> constraint = Grammars.forRequest(request, ToolCallFormat.HERMES);
 * constraint.ifPresent(g -> parameters.setGrammar(g.toGbnf()));
 * }</pre>
 */
public final class Grammars {
    private static final JsonSchema ANY_OBJECT = JsonSchema.parse("{\"type\":\"object\"}");
    private static final int CACHE_SIZE = 128;
    private static final LruCache<Object, Grammar> CACHE = new LruCache<>(CACHE_SIZE);
    /** Calls per turn a grammar allows in formats with several calls. */
    private static final int MAX_PARALLEL_CALLS = 8;

    private Grammars() {
    }

    /**
     * What the engine must constrain the request's output to: the calls when the request forces one (to the named
     * tool, or to any), written in {@code format}; else the JSON of its response format; else nothing.
     *
     * @throws dev.locallm.error.UnsupportedSchemaException when a schema cannot be enforced
     */
    public static Optional<Grammar> forRequest(ChatRequest request, ToolCallFormat format) {
        if (request.usesTools() && request.toolChoice().forcesCall()) {
            return Optional.of(forToolCalls(request, format, false));
        }
        return forResponseFormat(request.responseFormat());
    }

    /**
     * The calls a model may start on its own under {@code tool_choice} auto, for an engine that can apply a grammar
     * from the moment a call opens (as llama.cpp's lazy grammars); empty when the request has no tools, forbids or
     * forces calls, or asks for JSON, and when a tool's parameters cannot be enforced (calls are then only
     * validated, as without such an engine).
     */
    public static Optional<Grammar> forCallsStartedInText(ChatRequest request, ToolCallFormat format) {
        if (!request.usesTools() || request.toolChoice().forcesCall() || request.responseFormat().isJson()) {
            return Optional.empty();
        }
        try {
            return Optional.of(forToolCalls(request, format, false));
        } catch (UnsupportedSchemaException e) {
            return Optional.empty();
        }
    }

    /**
     * What {@link #forRequest} constrains the output to, with JSON in any layout: to close output cut short that
     * was written by a server or a model without LocaLLM's grammar (whose compact layout it accepts too).
     *
     * @throws dev.locallm.error.UnsupportedSchemaException when a schema cannot be enforced
     */
    public static Optional<Grammar> forClosing(ChatRequest request, ToolCallFormat format) {
        if (request.usesTools() && request.toolChoice().forcesCall()) {
            return Optional.of(forToolCalls(request, format, true));
        }
        return forJson(request.responseFormat(), true);
    }

    /**
     * The JSON a response format asks for (any object for plain JSON mode); empty for text. Unless the format is
     * {@link ResponseFormat#isGrammarOnly() grammar only}, what the grammar cannot enforce is left to validation
     * ({@link Grammar#unenforced()}).
     *
     * @throws dev.locallm.error.UnsupportedSchemaException when the schema cannot be enforced
     */
    public static Optional<Grammar> forResponseFormat(ResponseFormat format) {
        return forJson(format, false);
    }

    private static Optional<Grammar> forJson(ResponseFormat format, boolean anyLayout) {
        if (!format.isJson()) {
            return Optional.empty();
        }
        JsonSchema schema = format.schema().orElse(ANY_OBJECT);
        if (anyLayout) {
            return Optional.of(forClosing(schema));
        }
        return Optional.of(format.isGrammarOnly()
                ? CACHE.get(List.of(schema, "grammar only"), k -> JsonSchemaGrammar.compile(schema))
                : CACHE.get(schema, k -> JsonSchemaGrammar.compileLeavingToValidation(schema, false)));
    }

    /**
     * JSON that validates against a schema (what a grammar cannot enforce left to validation), in any layout: to
     * close JSON cut short.
     *
     * @throws dev.locallm.error.UnsupportedSchemaException when the schema cannot be compiled
     */
    public static Grammar forClosing(JsonSchema schema) {
        return CACHE.get(List.of(schema, "any layout"), k -> JsonSchemaGrammar.compileLeavingToValidation(schema, true));
    }

    /** The calls a request forces: to the named tool, or to any of its tools. */
    static Grammar forToolCalls(ChatRequest request, ToolCallFormat format, boolean anyLayout) {
        List<ToolSpec> allowed = request.toolChoice().tool()
                .map(name -> request.tools().stream().filter(t -> t.name().equals(name)).toList())
                .orElse(request.tools());
        int calls = format == ToolCallFormat.HERMES || format == ToolCallFormat.MISTRAL ? MAX_PARALLEL_CALLS : 1;
        return CACHE.get(List.of(allowed, format, anyLayout), k -> ToolCallGrammar.compile(allowed, format, calls,
                anyLayout));
    }
}
