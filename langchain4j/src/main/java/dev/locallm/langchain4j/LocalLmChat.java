package dev.locallm.langchain4j;

import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.locallm.ChatModel;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A LocaLLM model as a LangChain4j chat model holds it: the model, whether it is this wrapper's to close, the
 * defaults and listeners. Thread-safe; closes the model at most once.
 */
final class LocalLmChat {
    private final ChatModel model;
    private final boolean owned;
    private final ChatRequestParameters defaults;
    private final List<ChatModelListener> listeners;
    private final AtomicBoolean closed = new AtomicBoolean();

    LocalLmChat(ChatModel model, boolean owned, ChatRequestParameters defaults, List<ChatModelListener> listeners) {
        this.model = model;
        this.owned = owned;
        this.defaults = defaults;
        this.listeners = List.copyOf(listeners);
    }

    ChatModel localLm() {
        return model;
    }

    /** The model's name, as LangChain4j's responses and its {@code modelName} parameter carry it. */
    String name() {
        return model.capabilities().modelName();
    }

    ChatRequestParameters defaults() {
        return defaults;
    }

    List<ChatModelListener> listeners() {
        return listeners;
    }

    /**
     * JSON-schema response formats, always: LocaLLM enforces the schema while generating on in-process engines and
     * schema-enforcing servers, and checks and re-asks elsewhere.
     */
    Set<Capability> capabilities() {
        return Set.of(Capability.RESPONSE_FORMAT_JSON_SCHEMA);
    }

    void close() {
        if (owned && closed.compareAndSet(false, true)) {
            model.close();
        }
    }
}
