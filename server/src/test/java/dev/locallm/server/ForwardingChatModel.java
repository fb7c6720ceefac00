package dev.locallm.server;

import dev.locallm.ChatModel;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.ChatResponse;
import dev.locallm.chat.GenerationOptions;
import dev.locallm.chat.ModelCapabilities;
import dev.locallm.stream.ChatStream;
import dev.locallm.stream.StreamHandler;

/** A chat model that hands every call to another; tests override the calls they change. */
abstract class ForwardingChatModel implements ChatModel {
    /** The model calls go to. */
    protected final ChatModel model;

    ForwardingChatModel(ChatModel model) {
        this.model = model;
    }

    @Override
    public ChatResponse chat(ChatRequest request) {
        return model.chat(request);
    }

    @Override
    public ChatStream chatStream(ChatRequest request) {
        return model.chatStream(request);
    }

    @Override
    public void chatStream(ChatRequest request, StreamHandler handler) {
        model.chatStream(request, handler);
    }

    @Override
    public ChatStream completeStream(String prompt, GenerationOptions options) {
        return model.completeStream(prompt, options);
    }

    @Override
    public ChatModel with(GenerationOptions defaults) {
        return model.with(defaults);
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
