package dev.locallm.server;

import dev.locallm.ChatModel;
import dev.locallm.chat.ChatChunk;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.ChatResponse;
import dev.locallm.chat.GenerationOptions;
import dev.locallm.chat.ModelCapabilities;
import dev.locallm.stream.ChatStream;
import dev.locallm.stream.StreamHandler;
import java.time.Duration;
import java.util.Iterator;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * The real model, consumed at a slow pace: each streamed chunk is delivered after a pause, so generations hold
 * their slot long enough for lifecycle tests (disconnects, queueing, draining). The tokens are the model's own.
 */
final class PacedChatModel implements ChatModel {
    private final ChatModel model;
    private final Duration pause;

    PacedChatModel(ChatModel model, Duration pause) {
        this.model = model;
        this.pause = pause;
    }

    @Override
    public ChatStream chatStream(ChatRequest request) {
        ChatStream stream = model.chatStream(request);
        return new ChatStream() {
            @Override
            public Iterator<ChatChunk> iterator() {
                Iterator<ChatChunk> inner = stream.iterator();
                return new Iterator<>() {
                    @Override
                    public boolean hasNext() {
                        return inner.hasNext();
                    }

                    @Override
                    public ChatChunk next() {
                        try {
                            Thread.sleep(pause.toMillis());
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        return inner.next();
                    }
                };
            }

            @Override
            public Stream<ChatChunk> stream() {
                return StreamSupport.stream(spliterator(), false).onClose(this::close);
            }

            @Override
            public ChatResponse response() {
                return stream.response();
            }

            @Override
            public void close() {
                stream.close();
            }
        };
    }

    @Override
    public ChatStream completeStream(String prompt, GenerationOptions options) {
        return model.completeStream(prompt, options);
    }

    @Override
    public ChatResponse chat(ChatRequest request) {
        try (ChatStream s = chatStream(request)) {
            s.forEach(chunk -> { });
            return s.response();
        }
    }

    @Override
    public void chatStream(ChatRequest request, StreamHandler handler) {
        model.chatStream(request, handler);
    }

    @Override
    public ChatModel with(GenerationOptions defaults) {
        return new PacedChatModel(model.with(defaults), pause);
    }

    @Override
    public GenerationOptions defaultOptions() {
        return model.defaultOptions();
    }

    @Override
    public ModelCapabilities capabilities() {
        return model.capabilities();
    }

    @Override
    public void close() {
        model.close();
    }
}
