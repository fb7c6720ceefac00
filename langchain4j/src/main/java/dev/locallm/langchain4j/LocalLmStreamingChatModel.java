package dev.locallm.langchain4j;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
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
import dev.locallm.tool.ToolCallDelta;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A LocaLLM model as a LangChain4j {@link StreamingChatModel}: text as it is generated, tool calls as they stream
 * ({@code onPartialToolCall} pieces, each with the call's index, id and name, whose arguments add up to the
 * {@code onCompleteToolCall} that follows it, before the next call's pieces), then the whole response with usage and
 * finish reason. Each request
 * streams on a thread of this model (daemon threads, one per stream in flight), so {@code chat(...)} returns at
 * once; cancelling through the {@link StreamingHandle} of a partial response's context ends the generation and
 * frees its slot, and no callback follows.
 *
 * <p>Parameters and errors as for {@link LocalLmChatModel}; an error reaches {@code onError}, and a callback that
 * throws is reported there too while the stream goes on (as LangChain4j's providers do). Unlike the blocking model,
 * a stream is not sampled again or re-asked when its JSON breaks an assertion the grammar left to validation: the
 * pieces are out already, so it ends in {@code onError}. Thread-safe.
 * {@link #close()} stops its threads and closes the LocaLLM model when this one loaded it from a URI.
 */
public final class LocalLmStreamingChatModel extends LocalLmChatSupport implements StreamingChatModel {
    private static final Logger LOG = LoggerFactory.getLogger(LocalLmStreamingChatModel.class);
    private final ExecutorService streams;

    private LocalLmStreamingChatModel(Builder builder) {
        super(builder);
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

    /**
     * Starts streaming on a thread of this model. A request this model cannot take (an image, a penalty, another
     * model's name) is refused here, on the caller's thread, as LangChain4j's providers refuse it; a closed model
     * reports to {@code onError}.
     */
    @Override
    public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
        dev.locallm.chat.ChatRequest localRequest = LangChain4jMapping.toLocalLm(request, name());
        try {
            streams.execute(() -> stream(localRequest, handler));
        } catch (RejectedExecutionException e) {
            reportError(handler, new IllegalStateException("The streaming model is closed", e));
        }
    }

    /**
     * Streams one request to the handler. As LangChain4j's providers do, a callback that throws is reported to
     * {@code onError} and the stream goes on; an {@code onError} that throws is logged. Each call's complete
     * event follows its pieces, before the next call's first piece.
     */
    private void stream(dev.locallm.chat.ChatRequest request, StreamingChatResponseHandler handler) {
        Handle handle = new Handle();
        try (ChatStream stream = localLmModel().chatStream(request)) {
            handle.attach(stream);
            CallInProgress call = null;
            for (ChatChunk chunk : stream) {
                if (!chunk.text().isEmpty()) {
                    PartialResponse piece = new PartialResponse(chunk.text());
                    deliver(handler, handle, () -> handler.onPartialResponse(piece,
                            new PartialResponseContext(handle)));
                }
                for (ToolCallDelta delta : chunk.toolCallDeltas()) {
                    if (call != null && call.index != delta.index()) {
                        CompleteToolCall complete = call.complete();
                        deliver(handler, handle, () -> handler.onCompleteToolCall(complete));
                        call = null;
                    }
                    call = call != null ? call : new CallInProgress(delta.index());
                    PartialToolCall piece = call.add(delta);
                    if (piece != null) {
                        deliver(handler, handle, () -> handler.onPartialToolCall(piece,
                                new PartialToolCallContext(handle)));
                    }
                }
                if (handle.isCancelled()) {
                    return;
                }
            }
            ChatResponse response = stream.response();
            if (call != null) {
                CompleteToolCall complete = call.complete();
                deliver(handler, handle, () -> handler.onCompleteToolCall(complete));
            }
            if (handle.end()) {
                dev.langchain4j.model.chat.response.ChatResponse complete = LangChain4jMapping.toLangChain4j(response,
                        name());
                try {
                    handler.onCompleteResponse(complete);
                } catch (RuntimeException e) {
                    reportError(handler, e);
                }
            }
        } catch (RuntimeException | Error e) {
            if (handle.end()) {
                reportError(handler, e);
            }
        }
    }

    private static void deliver(StreamingChatResponseHandler handler, Handle handle, Runnable callback) {
        if (handle.isCancelled()) {
            return;
        }
        try {
            callback.run();
        } catch (RuntimeException e) {
            reportError(handler, e);
        }
    }

    private static void reportError(StreamingChatResponseHandler handler, Throwable error) {
        try {
            handler.onError(error);
        } catch (RuntimeException e) {
            LOG.warn("A StreamingChatResponseHandler's onError threw; ignored", e);
        }
    }

    /** A tool call while its pieces stream: its index, the id and name of its first piece, its arguments so far. */
    private static final class CallInProgress {
        final int index;
        String id = "";
        String name = "";
        final StringBuilder arguments = new StringBuilder();

        CallInProgress(int index) {
            this.index = index;
        }

        /** Adds a piece; the partial call to report, {@code null} when it carries no arguments. */
        PartialToolCall add(ToolCallDelta delta) {
            id = delta.id().isEmpty() ? id : delta.id();
            name = delta.name().isEmpty() ? name : delta.name();
            arguments.append(delta.arguments());
            return delta.arguments().isEmpty() ? null : PartialToolCall.builder().index(index).id(id).name(name)
                    .partialArguments(delta.arguments()).build();
        }

        CompleteToolCall complete() {
            return new CompleteToolCall(index, ToolExecutionRequest.builder().id(id).name(name)
                    .arguments(arguments.toString()).build());
        }
    }

    /**
     * The handle LangChain4j hands to callbacks: cancelling it closes the LocaLLM stream, and no callback follows
     * (the stream's end, completion or error, is reported at most once, and not after a cancel).
     */
    private static final class Handle implements StreamingHandle {
        private final AtomicBoolean cancelled = new AtomicBoolean();
        private final AtomicBoolean ended = new AtomicBoolean();
        private volatile ChatStream stream;

        void attach(ChatStream stream) {
            this.stream = stream;
            if (cancelled.get()) {
                stream.close();
            }
        }

        /** Whether this thread may report the end: not cancelled, and not reported yet. */
        boolean end() {
            return !cancelled.get() && ended.compareAndSet(false, true);
        }

        @Override
        public void cancel() {
            if (cancelled.compareAndSet(false, true)) {
                ended.set(true);
                ChatStream s = stream;
                if (s != null) {
                    s.close();
                }
            }
        }

        @Override
        public boolean isCancelled() {
            return cancelled.get();
        }
    }

    @Override
    public void close() {
        streams.shutdownNow();
        super.close();
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
