package dev.locallm;

import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.ChatResponse;
import dev.locallm.chat.GenerationOptions;
import dev.locallm.chat.ModelCapabilities;
import dev.locallm.chat.ResponseFormat;
import dev.locallm.chat.StructuredResponse;
import dev.locallm.error.StructuredOutputException;
import dev.locallm.schema.JsonSchema;
import dev.locallm.stream.ChatStream;
import dev.locallm.stream.StreamHandler;
import java.util.List;
import java.util.function.Consumer;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

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
     * @throws dev.locallm.error.StructuredOutputException      when the request asks for JSON and the output is not
     *                                                          valid (or, {@code TruncatedOutputException}, cut short)
     * @throws IllegalStateException                            when the model is closed
     */
    ChatResponse chat(ChatRequest request);

    /**
     * Generates a reply as JSON of {@code type}'s schema and maps it to {@code type}: records, classes with
     * fields, enums, lists, maps and optionals (see {@link JsonSchema#from(java.lang.reflect.Type)}). The request's
     * own JSON-schema format is kept when it has one. {@link #chatStructured} gives the usage and timings too.
     *
     * <pre>{@code
     * record Weather(String city, int temperature) { }
     * Weather w = model.chat(ChatRequest.of("Weather in Paris as JSON?"), Weather.class);
     * }</pre>
     *
     * @throws dev.locallm.error.TruncatedOutputException  when the JSON was cut short by the token limit
     * @throws dev.locallm.error.StructuredOutputException when the output does not validate or map to the type
     * @throws dev.locallm.error.UnsupportedSchemaException when the type's schema cannot be enforced
     */
    default <T> T chat(ChatRequest request, Class<T> type) {
        return chatStructured(request, type).value();
    }

    /**
     * As {@link #chat(ChatRequest, Class)}, and returns the value with the response it was mapped from: usage,
     * finish reason and timings.
     *
     * @throws dev.locallm.error.TruncatedOutputException  when the JSON was cut short by the token limit
     * @throws dev.locallm.error.StructuredOutputException when the output does not validate or map to the type
     * @throws dev.locallm.error.UnsupportedSchemaException when the type's schema cannot be enforced
     */
    default <T> StructuredResponse<T> chatStructured(ChatRequest request, Class<T> type) {
        ChatRequest structured = request.responseFormat().type() == ResponseFormat.Type.JSON_SCHEMA ? request
                : request.toBuilder().responseFormat(ResponseFormat.jsonSchema(type.getSimpleName(),
                        JsonSchema.from(type))).build();
        ChatResponse response = chat(structured);
        try {
            T value = JsonMapper.shared().readValue(response.text(), type);
            if (value == null) {
                throw new StructuredOutputException("The output is null, not a " + type.getName(), response.text(),
                        List.of("null"));
            }
            return StructuredResponse.of(value, response);
        } catch (JacksonException e) {
            throw new StructuredOutputException("The output does not map to " + type.getName(), response.text(),
                    List.of(e.getOriginalMessage()));
        }
    }

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
     * Continues {@code prompt} as raw text, without the chat template (the OpenAI {@code /v1/completions} style),
     * as a pull stream; close the stream to cancel. The options are layered over this model's defaults; stop
     * sequences apply. Waits for a free slot as {@link #chatStream(ChatRequest)} does.
     *
     * @throws dev.locallm.error.InvalidRequestException        when the backend cannot complete raw text
     * @throws dev.locallm.error.ContextLengthExceededException when the prompt is too long
     */
    ChatStream completeStream(String prompt, GenerationOptions options);

    /** {@link #completeStream} to the end: the continuation of {@code prompt} and its usage. */
    default ChatResponse complete(String prompt, GenerationOptions options) {
        try (ChatStream stream = completeStream(prompt, options)) {
            return stream.response();
        }
    }

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
