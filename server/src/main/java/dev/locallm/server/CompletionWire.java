package dev.locallm.server;

import dev.locallm.chat.ChatChunk;
import dev.locallm.chat.ChatResponse;
import dev.locallm.openai.ChatCompletionChunks;
import dev.locallm.openai.ChatCompletions;
import dev.locallm.openai.Completions;
import java.util.List;
import tools.jackson.databind.node.ObjectNode;

/**
 * How one generation endpoint writes its results: the whole response, or the events of a stream. One instance
 * per request (it knows the id, creation time and model name); not thread-safe.
 */
interface CompletionWire {

    /** The response of a request that did not ask to stream. */
    ObjectNode response(ChatResponse response);

    /** The events that open a stream, before any token. */
    List<ObjectNode> opening();

    /** The event that carries a chunk; {@code null} when the chunk has nothing to send. */
    ObjectNode delta(ChatChunk chunk);

    /** The event with the finish reason; {@code includeUsage} adds the usage event after it. */
    List<ObjectNode> closing(ChatResponse response, boolean includeUsage);

    /** Chat completions: {@code chat.completion} and {@code chat.completion.chunk} objects. */
    static CompletionWire chat(String model, boolean usageField) {
        String id = ChatCompletions.newId("chatcmpl-");
        long created = System.currentTimeMillis() / 1000;
        return new CompletionWire() {
            @Override
            public ObjectNode response(ChatResponse response) {
                return ChatCompletions.write(id, created, model, response);
            }

            @Override
            public List<ObjectNode> opening() {
                return List.of(ChatCompletionChunks.write(id, created, model, "assistant", "", List.of(), null, usageField));
            }

            @Override
            public ObjectNode delta(ChatChunk chunk) {
                if (chunk.text().isEmpty() && chunk.toolCallDeltas().isEmpty()) {
                    return null;
                }
                return ChatCompletionChunks.write(id, created, model, null, chunk.text().isEmpty() ? null : chunk.text(),
                        chunk.toolCallDeltas(), null, usageField);
            }

            @Override
            public List<ObjectNode> closing(ChatResponse response, boolean includeUsage) {
                ObjectNode finish = ChatCompletionChunks.write(id, created, model, null, null, List.of(),
                        ChatCompletions.finishReason(response.finishReason()), usageField);
                return includeUsage ? List.of(finish, ChatCompletionChunks.writeUsage(id, created, model,
                        "chat.completion.chunk", response.usage())) : List.of(finish);
            }
        };
    }

    /** Legacy text completions: {@code text_completion} objects, streamed as the same object type. */
    static CompletionWire text(String model, String echo, boolean usageField) {
        String id = ChatCompletions.newId("cmpl-");
        long created = System.currentTimeMillis() / 1000;
        return new CompletionWire() {
            @Override
            public ObjectNode response(ChatResponse response) {
                return Completions.write(id, created, model, echo + response.text(),
                        ChatCompletions.finishReason(response.finishReason()), response.usage(), usageField);
            }

            @Override
            public List<ObjectNode> opening() {
                return echo.isEmpty() ? List.of()
                        : List.of(Completions.write(id, created, model, echo, null, null, usageField));
            }

            @Override
            public ObjectNode delta(ChatChunk chunk) {
                return chunk.text().isEmpty() ? null
                        : Completions.write(id, created, model, chunk.text(), null, null, usageField);
            }

            @Override
            public List<ObjectNode> closing(ChatResponse response, boolean includeUsage) {
                ObjectNode finish = Completions.write(id, created, model, "",
                        ChatCompletions.finishReason(response.finishReason()), null, usageField);
                return includeUsage ? List.of(finish, ChatCompletionChunks.writeUsage(id, created, model,
                        "text_completion", response.usage())) : List.of(finish);
            }
        };
    }
}
