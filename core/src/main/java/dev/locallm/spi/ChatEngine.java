package dev.locallm.spi;

import dev.locallm.ModelCapabilities;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.GenerationOptions;
import dev.locallm.error.InvalidRequestException;
import dev.locallm.grammar.Grammar;
import dev.locallm.tool.ToolCallFormat;
import java.util.List;
import java.util.Optional;

/**
 * A backend's loaded chat model. Core wraps it; users never see it.
 *
 * <p>Implementations are thread-safe: {@link #start} is called from many threads at once. {@link #close()} is
 * called once, possibly while generations are running on other threads; it must make them end (their
 * {@link Generation#next()} returns {@link GenerationEvent.Finished} with
 * {@link dev.locallm.chat.FinishReason#CANCELLED}) and free native resources only once no thread can touch
 * them any more.
 */
public interface ChatEngine extends AutoCloseable {

    ModelCapabilities capabilities();

    /**
     * Starts a generation. The request has been validated and its options completed with defaults (every
     * sampling option is set; {@code maxTokens}, {@code seed} and {@code stop} may be unset). Stop sequences
     * are applied by core; an engine may also apply them natively.
     *
     * <p>When {@code grammar} is present (the request asks for JSON), the engine must generate only text the
     * grammar allows, if its capabilities claim {@code structuredOutput}; core validates the result either way.
     *
     * <p>May block while waiting for a free slot; must then respond to interruption by throwing
     * {@link dev.locallm.error.GenerationCancelledException}.
     *
     * @throws dev.locallm.error.InvalidRequestException when the request does not fit the model
     */
    Generation start(ChatRequest request, Optional<Grammar> grammar);

    /**
     * Starts a generation that continues {@code prompt} as raw text: no chat template, tools or grammar. The
     * options are complete as for {@link #start}; blocking and cancellation behave the same. Engines that cannot
     * keep the default, which refuses.
     *
     * @throws dev.locallm.error.InvalidRequestException when the prompt does not fit the model, or the engine cannot
     *                                                   complete raw text
     */
    default Generation startCompletion(String prompt, GenerationOptions options) {
        throw new InvalidRequestException("this backend completes chats only, not raw prompts", "prompt");
    }

    /**
     * How many times core may re-ask when a blocking reply breaks the requested JSON schema or tool choice:
     * 0 (the default) for engines that enforce them with a grammar, more for engines that cannot (a remote
     * server that ignores {@code tool_choice}). Core then sends the invalid reply back with its validation
     * errors and asks again; when the last attempt is still invalid it throws
     * {@link dev.locallm.error.StructuredOutputException}.
     */
    default int repairAttempts() {
        return 0;
    }

    /**
     * How this model writes tool calls (detected from its chat template); core constrains, parses and streams
     * calls in this format. Engines without tool support may keep the default.
     */
    default ToolCallFormat toolCallFormat() {
        return ToolCallFormat.HERMES;
    }

    /**
     * The formats core recognises calls in, in generated text: {@link #toolCallFormat()} first, then any others
     * this engine's output may contain. Engines that know their model's format keep the default (that format
     * alone); one that relays text from elsewhere, such as a server that may leave a model's calls in its reply,
     * names them all.
     */
    default List<ToolCallFormat> toolCallFormats() {
        return List.of(toolCallFormat());
    }

    @Override
    void close();
}
