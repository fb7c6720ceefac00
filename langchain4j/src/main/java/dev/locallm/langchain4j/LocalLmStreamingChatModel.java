package dev.locallm.langchain4j;

import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.CompleteToolCall;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.PartialToolCall;
import dev.langchain4j.model.chat.response.PartialToolCallContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.chat.response.StreamingHandle;
import dev.locallm.chat.ChatChunk;
import dev.locallm.chat.ChatResponse;
import dev.locallm.stream.ChatStream;
import dev.locallm.tool.ToolCall;
import dev.locallm.tool.ToolCallDelta;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A LocaLLM model as a LangChain4j {@link StreamingChatModel}: text as it is generated, tool calls as they stream
 * ({@code onPartialToolCall} pieces, each with the call's index, id and name, whose arguments add up to the
 * {@code onCompleteToolCall} that follows), then the whole response with usage and finish reason. Each request
 * streams on a thread of this model (daemon threads, one per stream in flight), so {@code chat(...)} returns at
 * once; cancelling through the {@link StreamingHandle} of a partial response's context ends the generation and
 * frees its slot, and no callback follows.
 *
 * <p>Parameters and errors as for {@link LocalLmChatModel}; an error reaches {@code onError}. Thread-safe.
 * {@link #close()} stops its threads and closes the LocaLLM model when this one loaded it from a URI.
 */
public final class LocalLmStreamingChatModel implements StreamingChatModel, AutoCloseable {
    private final LocalLmChat model;
    private final ExecutorService streams;

    private LocalLmStreamingChatModel(Builder builder) {
        this.model = builder.open();
        AtomicInteger threads = new AtomicInteger();
        this.streams = Executors.newCachedThreadPool(task -> {
            Thread t = new Thread(task, "locallm-langchain4j-stream-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** A builder: a model URI or an existing LocaLLM model is required. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
        dev.locallm.chat.ChatRequest localRequest;
        try {
            localRequest = LangChain4jMapping.toLocalLm(request, model.name());
        } catch (RuntimeException e) {
            handler.onError(e);
            return;
        }
        streams.execute(() -> stream(localRequest, handler));
    }

    private void stream(dev.locallm.chat.ChatRequest request, StreamingChatResponseHandler handler) {
        Handle handle = new Handle();
        try (ChatStream stream = model.localLm().chatStream(request)) {
            handle.stream = stream;
            Map<Integer, String[]> calls = new HashMap<>();
            for (ChatChunk chunk : stream) {
                if (handle.isCancelled()) {
                    return;
                }
                if (!chunk.text().isEmpty()) {
                    handler.onPartialResponse(new PartialResponse(chunk.text()), new PartialResponseContext(handle));
                }
                for (ToolCallDelta delta : chunk.toolCallDeltas()) {
                    String[] idAndName = calls.computeIfAbsent(delta.index(), i -> new String[] {"", ""});
                    idAndName[0] = delta.id().isEmpty() ? idAndName[0] : delta.id();
                    idAndName[1] = delta.name().isEmpty() ? idAndName[1] : delta.name();
                    if (delta.arguments().isEmpty()) {
                        continue;
                    }
                    handler.onPartialToolCall(PartialToolCall.builder().index(delta.index()).id(idAndName[0])
                            .name(idAndName[1]).partialArguments(delta.arguments()).build(),
                            new PartialToolCallContext(handle));
                }
            }
            if (handle.isCancelled()) {
                return;
            }
            ChatResponse response = stream.response();
            List<ToolCall> toolCalls = response.toolCalls();
            for (int i = 0; i < toolCalls.size(); i++) {
                handler.onCompleteToolCall(new CompleteToolCall(i, LangChain4jMapping.toolRequest(toolCalls.get(i))));
            }
            handler.onCompleteResponse(LangChain4jMapping.toLangChain4j(response, model.name()));
        } catch (RuntimeException | Error e) {
            if (!handle.isCancelled()) {
                handler.onError(e);
            }
        }
    }

    /** The handle LangChain4j hands to callbacks: cancelling it closes the LocaLLM stream. */
    private static final class Handle implements StreamingHandle {
        private final AtomicBoolean cancelled = new AtomicBoolean();
        private volatile ChatStream stream;

        @Override
        public void cancel() {
            if (cancelled.compareAndSet(false, true) && stream != null) {
                stream.close();
            }
        }

        @Override
        public boolean isCancelled() {
            return cancelled.get();
        }
    }

    @Override
    public ChatRequestParameters defaultRequestParameters() {
        return model.defaults();
    }

    @Override
    public List<ChatModelListener> listeners() {
        return model.listeners();
    }

    @Override
    public ModelProvider provider() {
        return ModelProvider.OTHER;
    }

    @Override
    public Set<Capability> supportedCapabilities() {
        return model.capabilities();
    }

    /** The LocaLLM model behind this one. */
    public dev.locallm.ChatModel localLmModel() {
        return model.localLm();
    }

    @Override
    public void close() {
        streams.shutdownNow();
        model.close();
    }

    /** Builds a {@link LocalLmStreamingChatModel}. Not thread-safe. */
    public static final class Builder extends ChatModelBuilder<Builder> {
        private Builder() {
        }

        /** The model. */
        public LocalLmStreamingChatModel build() {
            return new LocalLmStreamingChatModel(this);
        }
    }
}
