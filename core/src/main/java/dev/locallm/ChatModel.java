package dev.locallm;

import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.ChatResponse;
import dev.locallm.chat.GenerationOptions;
import dev.locallm.stream.ChatStream;
import dev.locallm.stream.StreamHandler;
import java.util.function.Consumer;

/**
 * A loaded chat model. Obtain one from {@link LocalLm}:
 *
 * <pre>{@code
 * try (ChatModel model = LocalLm.chatModel("gguf:/models/qwen2.5-0.5b-instruct-q8_0.gguf")) {
 *     System.out.println(model.chat("Why is the sky blue?"));
 * }
 * }</pre>
 *
 * <p><b>Thread safety.</b> Implementations are thread-safe: any number of threads may call {@code chat} and
 * {@code chatStream} at once. The backend runs as many generations together as it has slots (for llama.cpp,
 * {@code parallel}); the others wait their turn.
 *
 * <p><b>Lifecycle.</b> A model holds native memory until {@link #close()}. Closing is safe while generations
 * run on other threads: they end as cancelled ({@link dev.locallm.chat.FinishReason#CANCELLED} for streams,
 * {@link dev.locallm.error.GenerationCancelledException} for blocking calls). A second close does nothing;
 * any other call after close throws {@link IllegalStateException}.
 *
 * <p><b>Views.</b> {@link #with(GenerationOptions)} returns a view with other default options that shares the
 * loaded weights; it is cheap and needs no closing. Closing the model it came from closes it too.
 */
public interface ChatModel extends AutoCloseable {

    /**
     * Generates a reply to a conversation and waits for all of it.
     *
     * @throws dev.locallm.error.InvalidRequestException        when the request does not fit this model
     * @throws dev.locallm.error.ContextLengthExceededException when the prompt is too long
     * @throws dev.locallm.error.GenerationCancelledException   when the thread is interrupted or the model closed
     * @throws IllegalStateException                            when the model is closed
     */
    ChatResponse chat(ChatRequest request);

    /** Generates a reply to one user message and returns its text. */
    default String chat(String userMessage) {
        return chat(ChatRequest.of(userMessage)).text();
    }

    /**
     * Starts a generation and returns it as a pull stream; close the stream to cancel. The request is checked
     * and, when every slot of the backend is busy, this waits for a free one (interruptibly) before returning.
     */
    ChatStream chatStream(ChatRequest request);

    /**
     * Runs a generation on the calling thread, pushing its text to {@code handler} as it is generated; returns
     * when it is complete. Interrupting the thread cancels the generation.
     */
    void chatStream(ChatRequest request, StreamHandler handler);

    /**
     * A view of this model whose default options are these {@code defaults} layered over the current ones.
     * Options set on a request still win. The view shares the loaded model.
     */
    ChatModel with(GenerationOptions defaults);

    /** {@link #with(GenerationOptions)} with options built by a customizer. */
    default ChatModel with(Consumer<GenerationOptions.Builder> customizer) {
        return with(GenerationOptions.of(customizer));
    }

    /** The default options requests of this model (or view) fall back to. */
    GenerationOptions defaultOptions();

    /** What this model and its backend can do. */
    ModelCapabilities capabilities();

    /** Releases the model; see the class documentation for what happens to running generations. */
    @Override
    void close();
}
