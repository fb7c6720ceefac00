package dev.locallm;

import dev.locallm.chat.ChatChunk;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.ChatResponse;
import dev.locallm.chat.GenerationOptions;
import dev.locallm.chat.ModelCapabilities;
import dev.locallm.error.LocalLmException;
import dev.locallm.spi.ChatEngine;
import dev.locallm.spi.Generation;
import dev.locallm.stream.ChatStream;
import dev.locallm.stream.StreamHandler;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The {@link ChatModel} core builds around a backend's {@link ChatEngine}: it layers the request's options over the
 * model's defaults (and passes on only what was set), checks the output against the response format and tools and
 * re-asks where the engine allows, measures timings, adapts streaming styles and owns the lifecycle.
 * Thread-safe. A root instance owns the engine; views made by {@link #with} share it and do not close it.
 */
final class EngineChatModel implements ChatModel {
    private final SharedEngine shared;
    private final GenerationOptions defaults;
    private final boolean owner;

    private EngineChatModel(SharedEngine shared, GenerationOptions defaults, boolean owner) {
        this.shared = shared;
        this.defaults = defaults;
        this.owner = owner;
    }

    /** A model that owns {@code engine} and closes it on {@link #close()}. */
    static ChatModel create(ChatEngine engine, GenerationOptions defaults) {
        return new EngineChatModel(new SharedEngine(engine), defaults, true);
    }

    @Override
    public ChatResponse chat(ChatRequest request) {
        try (ChatStream stream = chatStream(request)) {
            return stream.response();
        }
    }

    @Override
    public ChatStream chatStream(ChatRequest request) {
        return new RunChatStream(start(request), request, this::start, this::resolved,
                shared.engine().repairAttempts());
    }

    @Override
    public void chatStream(ChatRequest request, StreamHandler handler) {
        Objects.requireNonNull(handler, "handler");
        GenerationRun run = start(request);
        ChatChunk chunk;
        do {
            try {
                chunk = run.nextChunk();
            } catch (LocalLmException e) {
                handler.onError(e);
                return;
            }
            try {
                if (!chunk.text().isEmpty()) {
                    handler.onText(chunk.text());
                }
                chunk.toolCallDeltas().forEach(handler::onToolCallDelta);
                if (chunk.isLast()) {
                    ChatResponse response = run.response();
                    try {
                        StructuredOutput.check(request, response);
                    } catch (LocalLmException e) {
                        handler.onError(e);
                        return;
                    }
                    handler.onComplete(response);
                }
            } catch (RuntimeException | Error e) {
                run.cancel(GenerationRun.CancelCause.HANDLER_FAILED);
                throw e;
            }
        } while (!chunk.isLast());
    }

    @Override
    public ChatStream completeStream(String prompt, GenerationOptions options) {
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(options, "options");
        shared.ensureOpen();
        long startNanos = System.nanoTime();
        Generation generation = shared.engine().startCompletion(prompt, defaults.overriddenBy(options));
        return new RunChatStream(register(generation, startNanos));
    }

    private GenerationRun start(ChatRequest request) {
        Objects.requireNonNull(request, "request");
        shared.ensureOpen();
        long startNanos = System.nanoTime();
        return register(shared.engine().start(resolved(request)), startNanos);
    }

    /** The request with the model's default options under its own. */
    private ChatRequest resolved(ChatRequest request) {
        return request.withOptions(defaults.overriddenBy(request.options()));
    }

    private GenerationRun register(Generation generation, long startNanos) {
        AtomicReference<GenerationRun> self = new AtomicReference<>();
        GenerationRun run = new GenerationRun(generation, startNanos, () -> shared.unregister(self.get()));
        self.set(run);
        shared.register(run);
        return run;
    }

    @Override
    public ChatModel with(GenerationOptions overrides) {
        Objects.requireNonNull(overrides, "overrides");
        shared.ensureOpen();
        GenerationOptions merged = defaults.overriddenBy(overrides);
        return new EngineChatModel(shared, merged, false);
    }

    @Override
    public GenerationOptions defaultOptions() {
        return defaults;
    }

    @Override
    public ModelCapabilities capabilities() {
        shared.ensureOpen();
        return shared.engine().capabilities();
    }

    @Override
    public void close() {
        if (owner) {
            shared.close();
        }
    }

    @Override
    public String toString() {
        return "ChatModel[" + shared.engine().capabilities().modelName() + (owner ? "" : ", view " + defaults) + "]";
    }
}
