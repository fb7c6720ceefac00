package dev.locallm.internal;

import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.ChatResponse;
import dev.locallm.chat.FinishReason;
import dev.locallm.chat.ResponseFormat;
import dev.locallm.error.StructuredOutputException;
import dev.locallm.error.TruncatedOutputException;
import dev.locallm.grammar.Grammar;
import dev.locallm.grammar.JsonSchemaGrammar;
import dev.locallm.schema.JsonSchema;
import dev.locallm.schema.SchemaValidator;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Structured output around any engine: compiles a request's response format to a grammar before generation
 * (cached), and checks the result after it. Stateless; thread-safe.
 */
final class StructuredOutput {
    private static final JsonSchema ANY_OBJECT = JsonSchema.parse("{\"type\":\"object\"}");
    private static final int CACHE_SIZE = 128;
    private static final Map<ResponseFormat, Grammar> GRAMMARS = Collections.synchronizedMap(
            new LinkedHashMap<>(16, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<ResponseFormat, Grammar> eldest) {
                    return size() > CACHE_SIZE;
                }
            });

    private StructuredOutput() {
    }

    /**
     * The grammar that output of this format must follow; empty for text.
     *
     * @throws dev.locallm.error.UnsupportedSchemaException when the schema cannot be enforced
     */
    static Optional<Grammar> grammar(ResponseFormat format) {
        if (!format.isJson()) {
            return Optional.empty();
        }
        Grammar cached = GRAMMARS.get(format);
        if (cached != null) {
            return Optional.of(cached);
        }
        Grammar grammar = JsonSchemaGrammar.compile(schema(format));
        GRAMMARS.put(format, grammar);
        return Optional.of(grammar);
    }

    private static JsonSchema schema(ResponseFormat format) {
        return format.schema().orElse(ANY_OBJECT);
    }

    /**
     * Checks a finished response against the request's format.
     *
     * @throws TruncatedOutputException  when JSON was cut short and the policy is to fail
     * @throws StructuredOutputException when the text is not valid for the format
     */
    static void check(ChatRequest request, ChatResponse response) {
        ResponseFormat format = request.responseFormat();
        if (!format.isJson() || response.finishReason() == FinishReason.CANCELLED
                || response.finishReason() == FinishReason.TOOL_CALLS) {
            return;
        }
        List<String> errors = SchemaValidator.validate(schema(format), response.text());
        if (errors.isEmpty()) {
            return;
        }
        if (response.finishReason() == FinishReason.LENGTH) {
            throw new TruncatedOutputException(response.text());
        }
        throw new StructuredOutputException("The output is not valid " + format, response.text(), errors);
    }
}
