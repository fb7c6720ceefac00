package dev.locallm.spi;

import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.GenerationOptions;
import dev.locallm.chat.ModelCapabilities;
import dev.locallm.error.InvalidRequestException;

/**
 * A backend's loaded chat model. Core wraps it; users never see it.
 *
 * <p>What the engine owns: everything that depends on how the model or server works. It applies the request's
 * options, filling unset ones with its own defaults (a remote server's, or the model's); it enforces the response
 * format and tool choice as far as it can ({@link ModelCapabilities#structuredOutput()}), applies stop sequences
 * and the truncation policy, and reports tool calls as {@link GenerationEvent.CallDelta} events, with the ids the
 * model or server gave them. Engines whose model writes text (llama.cpp, ONNX) get all of that from the
 * {@code locallm-engine} module's {@code TextGeneration}. What core owns: validation of the request, the model's
 * default options layered under the request's, streaming styles, timings, the lifecycle, checking the result
 * against the schema and tools, and re-asking ({@link #repairAttempts()}).
 *
 * <p>Implementations are thread-safe: {@link #start} is called from many threads at once. {@link #close()} is
 * called once, possibly while generations are running on other threads; it must make them end (their
 * {@link Generation#next()} returns {@link GenerationEvent.Finished} with
 * {@link dev.locallm.chat.FinishReason#CANCELLED}) and free native resources only once no thread can touch
 * them any more.
 */
public interface ChatEngine extends AutoCloseable {

    /** What this model can do; constant for the engine's life. */
    ModelCapabilities capabilities();

    /**
     * Starts a generation. The request has been validated; its options are the ones the caller set (the model's
     * defaults layered under the request's), and anything unset is the engine's to choose.
     *
     * <p>May block while waiting for a free slot; must then respond to interruption by throwing
     * {@link dev.locallm.error.GenerationCancelledException}.
     *
     * @throws InvalidRequestException when the request does not fit the model
     * @throws dev.locallm.error.UnsupportedSchemaException when the response format or a tool's parameters
     *                                                       cannot be enforced
     */
    Generation start(ChatRequest request);

    /**
     * Starts a generation that continues {@code prompt} as raw text: no chat template, tools or response format.
     * The options are as for {@link #start}; blocking and cancellation behave the same. Engines that cannot
     * keep the default, which refuses.
     *
     * @throws InvalidRequestException when the prompt does not fit the model, or the engine cannot complete raw text
     */
    default Generation startCompletion(String prompt, GenerationOptions options) {
        throw new InvalidRequestException("this backend completes chats only, not raw prompts", "prompt");
    }

    /**
     * How many times core may re-ask when a blocking reply breaks the requested JSON schema or tool choice:
     * 0 (the default) for engines that enforce them, more for engines that cannot (a remote server that ignores
     * {@code tool_choice}). Core then sends the invalid reply back with its validation errors and asks again; when
     * the last attempt is still invalid it throws {@link dev.locallm.error.StructuredOutputException}.
     */
    default int repairAttempts() {
        return 0;
    }

    @Override
    void close();
}
