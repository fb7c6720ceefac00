package dev.locallm.spring.boot;

import dev.locallm.chat.GenerationOptions;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * LocaLLM's configuration under {@code locallm.}: the chat and embedding models to load, their generation
 * defaults and backend options, and the OpenAI-compatible server. Immutable.
 *
 * <pre>
 * locallm.chat-model.uri=gguf:/models/qwen2.5-0.5b-instruct-q4_k_m.gguf
 * locallm.chat-model.options.parallel=2
 * locallm.chat-model.defaults.temperature=0.2
 * locallm.server.enabled=true
 * </pre>
 *
 * @param chatModel the chat model; none is loaded without its URI
 * @param embeddingModel the embedding model; none is loaded without its URI
 * @param server the OpenAI-compatible server inside the application
 */
@ConfigurationProperties("locallm")
public record LocalLmProperties(@DefaultValue ChatModel chatModel, @DefaultValue EmbeddingModel embeddingModel,
        @DefaultValue Server server) {

    /**
     * The chat model.
     *
     * @param uri The model's LocaLLM URI, such as gguf:/models/m.gguf, hf:ORG/REPO/FILE.gguf or
     *     openai:http://127.0.0.1:11434/v1?model=qwen2.5:0.5b; no chat model is loaded without it.
     * @param options Backend options, added to the URI's query: for llama.cpp ctx, parallel, threads, gpu-layers
     *     and the others its README lists. A dot in a key counts as a dash, as environment variables bind
     *     LOCALLM_CHATMODEL_OPTIONS_GPU_LAYERS to gpu.layers; an option the URI already has is given twice, and
     *     the last one wins.
     * @param defaults Generation settings every request falls back to.
     */
    public record ChatModel(String uri, Map<String, String> options, @DefaultValue Defaults defaults) {

        /** The URI with the options added to its query. */
        public String location() {
            return withOptions(uri, options);
        }
    }

    /**
     * The embedding model.
     *
     * @param uri The model's LocaLLM URI; no embedding model is loaded without it.
     * @param options Backend options, added to the URI's query.
     */
    public record EmbeddingModel(String uri, Map<String, String> options) {

        /** The URI with the options added to its query. */
        public String location() {
            return withOptions(uri, options);
        }
    }

    /**
     * Generation defaults; each unset one is left to the model.
     *
     * @param temperature Sampling temperature, 0 for greedy.
     * @param topP Nucleus sampling: sample from the most likely tokens that make up this probability.
     * @param topK Sample from the k most likely tokens.
     * @param minP Leave out tokens less likely than this fraction of the most likely one.
     * @param maxTokens Generate at most this many tokens per request.
     * @param seed Sampling seed: the same seed, prompt and settings give the same reply in-process.
     * @param stop Stop sequences: generation ends before any of them.
     * @param repeatPenalty Penalty on repeated tokens, 1 for none.
     */
    public record Defaults(Double temperature, Double topP, Integer topK, Double minP, Integer maxTokens, Long seed,
            List<String> stop, Double repeatPenalty) {

        /** These defaults as generation options. */
        public GenerationOptions toOptions() {
            return GenerationOptions.of(o -> {
                if (temperature != null) {
                    o.temperature(temperature);
                }
                if (topP != null) {
                    o.topP(topP);
                }
                if (topK != null) {
                    o.topK(topK);
                }
                if (minP != null) {
                    o.minP(minP);
                }
                if (maxTokens != null) {
                    o.maxTokens(maxTokens);
                }
                if (seed != null) {
                    o.seed(seed);
                }
                if (stop != null && !stop.isEmpty()) {
                    o.stop(stop);
                }
                if (repeatPenalty != null) {
                    o.repeatPenalty(repeatPenalty);
                }
            });
        }
    }

    /**
     * LocaLLM's OpenAI-compatible HTTP server, serving the application's models beside its own endpoints (it
     * needs {@code locallm-server} on the classpath).
     *
     * @param enabled Whether to start LocaLLM's OpenAI-compatible server inside the application.
     * @param host The address the server listens on; 0.0.0.0 opens it to the network.
     * @param port The server's port; 0 for any free one.
     * @param apiKey The key clients must send as a bearer token; none by default.
     */
    public record Server(@DefaultValue("false") boolean enabled, @DefaultValue("127.0.0.1") String host,
            @DefaultValue("8081") int port, String apiKey) {
    }

    private static String withOptions(String uri, Map<String, String> options) {
        if (uri == null || options == null || options.isEmpty()) {
            return uri;
        }
        StringBuilder location = new StringBuilder(uri);
        char separator = uri.indexOf('?') < 0 ? '?' : '&';
        for (Map.Entry<String, String> option : options.entrySet()) {
            String key = option.getKey().replace('.', '-');
            location.append(separator).append(URLEncoder.encode(key, StandardCharsets.UTF_8)).append('=')
                    .append(URLEncoder.encode(option.getValue(), StandardCharsets.UTF_8));
            separator = '&';
        }
        return location.toString();
    }
}
