package dev.locallm.remote;

import dev.locallm.chat.GenerationOptions;
import dev.locallm.error.ContextLengthExceededException;
import dev.locallm.error.LocalLmException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Checks that a request fits the server's context before it is sent, with the server's own template and
 * tokenizer, where the server offers them: llama-server ({@code /apply-template}, then {@code /tokenize}) and vLLM
 * ({@code /tokenize} with the messages). llama-server b4980 and its era cut a prompt that does not fit without
 * saying so (its log says "input truncated"; the reply says nothing), so the check has to come first. A request
 * whose size in bytes, with room for what a template adds, fits for certain is sent without asking. Other
 * families, and a server whose context is unknown, decide alone. Thread-safe.
 */
final class PromptCounter {
    private static final Logger LOG = LoggerFactory.getLogger(PromptCounter.class);
    /** Bytes allowed for what a chat template adds around each message, and once for the whole prompt. */
    private static final int MESSAGE_ROOM = 64;
    private static final int PROMPT_ROOM = 512;

    private final RemoteServer server;
    private final AtomicBoolean unavailable = new AtomicBoolean();

    PromptCounter(RemoteServer server) {
        this.server = server;
    }

    /**
     * The prompt's size in the server's tokens when it had to be counted, else 0.
     *
     * @throws ContextLengthExceededException when the prompt and {@code max_tokens} do not fit a slot
     */
    int check(String path, ObjectNode request, GenerationOptions options) {
        int context = server.contextLength();
        if (server.dialect() != Dialect.LLAMA_SERVER && server.dialect() != Dialect.VLLM || context <= 0
                || unavailable.get()) {
            return 0;
        }
        int reply = options.maxTokens().orElse(1);
        boolean chat = request.has("messages");
        long bound = JsonMapper.shared().writeValueAsBytes(chat ? request : request.path("prompt")).length
                + (chat ? MESSAGE_ROOM * (long) request.get("messages").size() : 0) + PROMPT_ROOM;
        if (bound + reply <= context) {
            return 0;
        }
        int tokens = count(chat, request);
        if (tokens > 0 && tokens + reply > context) {
            throw new ContextLengthExceededException(tokens, options.maxTokens().orElse(0), context);
        }
        return tokens;
    }

    private int count(boolean chat, ObjectNode request) {
        try {
            return server.dialect() == Dialect.VLLM ? countByVllm(chat, request) : countByLlamaServer(chat, request);
        } catch (LocalLmException e) {
            if (e instanceof RemoteNotFoundException && unavailable.compareAndSet(false, true)) {
                LOG.info("{} cannot count prompts ({}); prompts that do not fit are left to the server",
                        server.transport().baseUrl(), e.getMessage());
            } else {
                LOG.debug("{}: could not count the prompt: {}", server.transport().baseUrl(), e.getMessage());
            }
            return 0;
        }
    }

    /** vLLM's {@code /tokenize} applies the chat template itself and answers {@code count}. */
    private int countByVllm(boolean chat, ObjectNode request) {
        ObjectNode ask = JsonMapper.shared().createObjectNode().put("model", server.model());
        if (chat) {
            ask.set("messages", request.get("messages"));
            ask.put("add_generation_prompt", true);
            if (request.has("tools")) {
                ask.set("tools", request.get("tools"));
            }
        } else {
            ask.set("prompt", request.get("prompt"));
        }
        int count = server.transport().postJson("/../tokenize", ask).path("count").asInt(0);
        LOG.debug("{}: the prompt is {} tokens", server.transport().baseUrl(), count);
        return count;
    }

    /** llama-server renders the prompt with {@code /apply-template} and counts it with {@code /tokenize}. */
    private int countByLlamaServer(boolean chat, ObjectNode request) {
        String prompt;
        if (chat) {
            ObjectNode templated = request.deepCopy();
            templated.remove("stream");
            templated.remove("stream_options");
            prompt = server.transport().postJson("/../apply-template", templated).path("prompt").asString("");
        } else {
            prompt = request.path("prompt").asString("");
        }
        ObjectNode tokenize = JsonMapper.shared().createObjectNode().put("content", prompt).put("add_special", true);
        JsonNode tokens = server.transport().postJson("/../tokenize", tokenize).path("tokens");
        LOG.debug("{}: the prompt is {} tokens ({} bytes)", server.transport().baseUrl(), tokens.size(),
                prompt.getBytes(StandardCharsets.UTF_8).length);
        return tokens.size();
    }
}
