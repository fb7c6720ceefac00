package dev.locallm.langchain4j;

import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.locallm.ChatModel;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What {@link LocalLmChatModel} and {@link LocalLmStreamingChatModel} share: the LocaLLM model, whether it is the
 * wrapper's to close, LangChain4j's default parameters and listeners, and the answers both interfaces ask for.
 * Thread-safe; closes the model at most once.
 */
abstract class LocalLmChatSupport implements AutoCloseable {
    private final ChatModel model;
    private final boolean owned;
    private final ChatRequestParameters defaults;
    private final List<ChatModelListener> listeners;
    private final AtomicBoolean closed = new AtomicBoolean();

    LocalLmChatSupport(ChatModelBuilder<?> builder) {
        ChatModelBuilder.Opened opened = builder.open();
        this.model = opened.model();
        this.owned = opened.owned();
        this.defaults = opened.defaults();
        this.listeners = opened.listeners();
    }

    /** The model's name, as LangChain4j's responses and its {@code modelName} parameter carry it. */
    final String name() {
        return model.capabilities().modelName();
    }

    /** The LocaLLM model behind this one. */
    public final ChatModel localLmModel() {
        return model;
    }

    /** The parameters requests that leave them unset take. */
    public final ChatRequestParameters defaultRequestParameters() {
        return defaults;
    }

    /** The listeners LangChain4j tells of each request. */
    public final List<ChatModelListener> listeners() {
        return listeners;
    }

    /** {@link ModelProvider#OTHER}: LangChain4j has no constant for LocaLLM. */
    public final ModelProvider provider() {
        return ModelProvider.OTHER;
    }

    /**
     * JSON-schema response formats, always: LocaLLM enforces the schema while generating on in-process engines and
     * schema-enforcing servers, and checks and re-asks elsewhere.
     */
    public final Set<Capability> supportedCapabilities() {
        return Set.of(Capability.RESPONSE_FORMAT_JSON_SCHEMA);
    }

    /** Closes the LocaLLM model when this wrapper loaded it from a URI; idempotent. */
    @Override
    public void close() {
        if (owned && closed.compareAndSet(false, true)) {
            model.close();
        }
    }
}
