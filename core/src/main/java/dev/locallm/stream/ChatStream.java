package dev.locallm.stream;

import dev.locallm.chat.ChatChunk;
import dev.locallm.chat.ChatResponse;
import java.util.Iterator;
import java.util.stream.Stream;

/**
 * A generation in progress, pulled chunk by chunk. Use it in try-with-resources; {@link #close()} cancels
 * the generation if it is still running and frees its slot in the backend.
 *
 * <pre>{@code
 * try (ChatStream stream = model.chatStream(ChatRequest.of("Tell me a story"))) {
 *     for (ChatChunk chunk : stream) {
 *         System.out.print(chunk.text());
 *     }
 * }
 * }</pre>
 *
 * <p>The last chunk carries the complete {@link ChatResponse}. A stream can be iterated once. Iterate it from
 * one thread at a time; {@link #close()} may be called from any thread, at any time, any number of times.
 * When the stream is closed before its end, iteration ends; when the generation is cancelled otherwise (the
 * model is closed, the consuming thread is interrupted) the last chunk reports
 * {@link dev.locallm.chat.FinishReason#CANCELLED}.
 */
public interface ChatStream extends Iterable<ChatChunk>, AutoCloseable {

    /**
     * The chunks of this stream. Blocking: {@code hasNext()} waits for the next token.
     *
     * @throws IllegalStateException when called a second time
     */
    @Override
    Iterator<ChatChunk> iterator();

    /** The chunks as a sequential {@link Stream}; closing that stream closes this one. */
    Stream<ChatChunk> stream();

    /**
     * Consumes the rest of the stream and returns the complete response.
     *
     * @throws dev.locallm.error.GenerationCancelledException when the stream was closed or cancelled first
     * @throws dev.locallm.error.StructuredOutputException    when the request asked for JSON and the output is not
     *                                                        valid or was cut short
     */
    ChatResponse response();

    /** Cancels the generation if it is still running. Idempotent and thread-safe. */
    @Override
    void close();
}
