package dev.locallm.langchain4j;

import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.locallm.ChatModel;
import dev.locallm.LocalLm;
import java.util.List;
import java.util.Objects;

/**
 * What {@link LocalLmChatModel} and {@link LocalLmStreamingChatModel} are built from: a LocaLLM model (a URI to
 * load, or one already loaded), LangChain4j's default request parameters, and listeners. Not thread-safe.
 *
 * @param <B> the builder's own type
 */
abstract class ChatModelBuilder<B extends ChatModelBuilder<B>> {
    private String modelUri;
    private ChatModel model;
    private ChatRequestParameters defaults = ChatRequestParameters.builder().build();
    private List<ChatModelListener> listeners = List.of();

    ChatModelBuilder() {
    }

    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
    }

    /**
     * Loads the model at this LocaLLM URI (such as {@code gguf:/models/m.gguf?parallel=2} or
     * {@code openai:http://127.0.0.1:8000/v1?model=m}) when built; closing the LangChain4j model closes it.
     */
    public B modelUri(String uri) {
        this.modelUri = Objects.requireNonNull(uri, "uri");
        return self();
    }

    /** Wraps a LocaLLM model already loaded; its owner closes it. */
    public B chatModel(ChatModel model) {
        this.model = Objects.requireNonNull(model, "model");
        return self();
    }

    /**
     * Parameters for requests that leave them unset (LangChain4j merges them in); none by default. The model's name
     * is added when they name none, so that listeners see it.
     */
    public B defaultRequestParameters(ChatRequestParameters parameters) {
        this.defaults = Objects.requireNonNull(parameters, "parameters");
        return self();
    }

    /** LangChain4j listeners, told of each request, response and error. */
    public B listeners(List<ChatModelListener> listeners) {
        this.listeners = List.copyOf(listeners);
        return self();
    }

    /**
     * The LocaLLM model, loaded when a URI was given.
     *
     * @throws IllegalStateException unless exactly one of a URI and a model was given
     * @throws dev.langchain4j.exception.UnsupportedFeatureException when the default parameters name another model
     *     or a penalty LocaLLM does not support (a model loaded here is closed again)
     */
    Opened open() {
        if ((modelUri == null) == (model == null)) {
            throw new IllegalStateException("give either modelUri(...) or chatModel(...)");
        }
        ChatModel chat = model != null ? model : LocalLm.chatModel(modelUri);
        String name;
        try {
            name = chat.capabilities().modelName();
            LangChain4jMapping.checkSupported(defaults, name);
        } catch (RuntimeException e) {
            if (model == null) {
                chat.close();
            }
            throw e;
        }
        ChatRequestParameters named = ChatRequestParameters.builder().modelName(name).build().overrideWith(defaults);
        return new Opened(chat, model == null, named, listeners);
    }

    /** What a built model holds: the LocaLLM model, whether it was loaded here, the defaults and listeners. */
    record Opened(ChatModel model, boolean owned, ChatRequestParameters defaults, List<ChatModelListener> listeners) {
    }
}
