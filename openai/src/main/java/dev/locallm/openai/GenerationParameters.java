package dev.locallm.openai;

import dev.locallm.chat.GenerationOptions;
import dev.locallm.error.InvalidRequestException;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The sampling and length fields of a request: OpenAI's ({@code temperature}, {@code top_p},
 * {@code max_tokens}/{@code max_completion_tokens}, {@code seed}, {@code stop}) and llama.cpp's extensions that
 * LocaLLM's server takes ({@code top_k}, {@code min_p}, {@code repeat_penalty}). Stateless.
 */
final class GenerationParameters {
    /** OpenAI accepts at most 4 stop sequences; an engine applies any others itself. */
    static final int MAX_SENT_STOPS = 4;

    private GenerationParameters() {
    }

    static GenerationOptions read(JsonNode body, RequestLimits limits) {
        GenerationOptions.Builder o = GenerationOptions.builder();
        Double temperature = Fields.optionalDouble(body, "temperature");
        if (temperature != null) {
            if (temperature < 0 || temperature > 2) {
                throw new InvalidRequestException("'temperature' must be between 0 and 2", "temperature");
            }
            o.temperature(temperature);
        }
        Double topP = Fields.optionalDouble(body, "top_p");
        if (topP != null) {
            if (topP <= 0 || topP > 1) {
                throw new InvalidRequestException("'top_p' must be in (0, 1]", "top_p");
            }
            o.topP(topP);
        }
        Integer topK = Fields.optionalInteger(body, "top_k");
        if (topK != null) {
            o.topK(topK);
        }
        Double minP = Fields.optionalDouble(body, "min_p");
        if (minP != null) {
            o.minP(minP);
        }
        Double repeat = Fields.optionalDouble(body, "repeat_penalty");
        if (repeat != null) {
            o.repeatPenalty(repeat);
        }
        Integer maxTokens = null;
        for (String maxParam : List.of("max_completion_tokens", "max_tokens")) {
            Integer max = Fields.optionalInteger(body, maxParam);
            if (max != null && (max < 1 || max > limits.maxTokens())) {
                throw new InvalidRequestException("'" + maxParam + "' must be between 1 and " + limits.maxTokens(),
                        maxParam);
            }
            if (max != null) {
                maxTokens = maxTokens == null ? max : Math.min(maxTokens, max);
            }
        }
        if (maxTokens != null) {
            o.maxTokens(maxTokens);
        }
        JsonNode seed = Fields.present(body, "seed");
        if (seed != null) {
            if (!seed.isIntegralNumber() || !seed.canConvertToLong()) {
                throw new InvalidRequestException("'seed' must be an integer", "seed");
            }
            o.seed(seed.asLong());
        }
        JsonNode stop = Fields.present(body, "stop");
        if (stop != null) {
            List<String> stops = new ArrayList<>();
            if (stop.isString()) {
                stops.add(stop.asString());
            } else if (stop.isArray()) {
                for (JsonNode s : stop) {
                    if (!s.isString()) {
                        throw new InvalidRequestException("'stop' must be a string or an array of strings", "stop");
                    }
                    stops.add(s.asString());
                }
            } else {
                throw new InvalidRequestException("'stop' must be a string or an array of strings", "stop");
            }
            o.stop(stops);
        }
        return o.build();
    }

    /** Writes OpenAI's fields for the options that are set (the first {@link #MAX_SENT_STOPS} stop sequences). */
    static void write(ObjectNode body, GenerationOptions o) {
        o.temperature().ifPresent(t -> body.put("temperature", t));
        o.topP().ifPresent(p -> body.put("top_p", p));
        o.maxTokens().ifPresent(n -> body.put("max_tokens", n));
        o.seed().ifPresent(s -> body.put("seed", s));
        List<String> stops = o.stopSequences();
        if (!stops.isEmpty()) {
            ArrayNode stop = body.putArray("stop");
            stops.stream().limit(MAX_SENT_STOPS).forEach(stop::add);
        }
    }

    /**
     * Refuses {@code n} other than 1, non-zero OpenAI penalties, and these fields unless {@code null} or
     * {@code false}: what LocaLLM cannot honour is an error, never silently ignored.
     */
    static void rejectUnsupported(JsonNode body, List<String> fields) {
        if (Fields.optionalInt(body, "n", 1) != 1) {
            throw new InvalidRequestException("only n=1 is supported", "n");
        }
        for (String unsupported : fields) {
            JsonNode v = body.get(unsupported);
            if (v != null && !v.isNull() && !(v.isBoolean() && !v.booleanValue())) {
                throw new InvalidRequestException("'" + unsupported + "' is not supported", unsupported);
            }
        }
        for (String penalty : List.of("frequency_penalty", "presence_penalty")) {
            JsonNode v = body.get(penalty);
            if (v != null && !v.isNull() && (!v.isNumber() || v.asDouble() != 0)) {
                throw new InvalidRequestException("'" + penalty + "' is not supported (only 0); use repeat_penalty",
                        penalty);
            }
        }
    }

    /** {@code stream_options.include_usage}. */
    static boolean includeUsage(JsonNode body) {
        JsonNode streamOptions = Fields.present(body, "stream_options");
        if (streamOptions == null) {
            return false;
        }
        if (!streamOptions.isObject()) {
            throw new InvalidRequestException("'stream_options' must be an object", "stream_options");
        }
        return Fields.optionalBoolean(streamOptions, "include_usage", false);
    }
}
