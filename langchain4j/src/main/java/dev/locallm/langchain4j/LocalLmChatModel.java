package dev.locallm.langchain4j;

import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;

/**
 * A LocaLLM model as a LangChain4j {@link ChatModel}: blocking chat with tools, tool choice and JSON-schema
 * response formats, which LocaLLM enforces while the model generates (so {@code AiServices} with {@code @Tool}
 * methods or a record return type work on small local models), token usage and finish reasons.
 *
 * <pre>{@code
 * ChatModel model = LocalLmChatModel.builder()
 *         .modelUri("gguf:/models/qwen2.5-0.5b-instruct-q4_k_m.gguf?parallel=2")
 *         .build();
 * Assistant assistant = AiServices.builder(Assistant.class).chatModel(model).tools(new Calculator()).build();
 * }</pre>
 *
 * <p>Request parameters map onto LocaLLM's: temperature, top-p, top-k, max output tokens, stop sequences, tool
 * specifications, tool choice ({@code AUTO}, {@code REQUIRED}, {@code NONE}), response format (JSON with or
 * without a schema); parameters left unset take the model's defaults. Frequency and presence penalties, images, and
 * another model name end in LangChain4j's {@code UnsupportedFeatureException}. LocaLLM's own errors
 * ({@link dev.locallm.error.LocalLmException} and its subclasses) pass through as they are.
 *
 * <p>Thread-safe: calls run in the LocaLLM model's slots. {@link #close()} closes the LocaLLM model when this one
 * loaded it from a URI, and leaves a model it was given to its owner.
 */
public final class LocalLmChatModel extends LocalLmChatSupport implements ChatModel {

    private LocalLmChatModel(Builder builder) {
        super(builder);
    }

    /** A builder: a model URI or an existing LocaLLM model is required. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public ChatResponse doChat(ChatRequest request) {
        dev.locallm.chat.ChatResponse response = localLmModel().chat(LangChain4jMapping.toLocalLm(request, name()));
        return LangChain4jMapping.toLangChain4j(response, name());
    }

    /** Builds a {@link LocalLmChatModel}. Not thread-safe. */
    public static final class Builder extends ChatModelBuilder<Builder> {
        private Builder() {
        }

        /** The model. */
        public LocalLmChatModel build() {
            return new LocalLmChatModel(this);
        }
    }
}
