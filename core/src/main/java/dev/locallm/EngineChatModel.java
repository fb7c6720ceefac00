package dev.locallm;

import dev.locallm.chat.ChatChunk;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.ChatResponse;
import dev.locallm.chat.FinishReason;
import dev.locallm.chat.GenerationOptions;
import dev.locallm.chat.ModelCapabilities;
import dev.locallm.error.GenerationCancelledException;
import dev.locallm.error.LocalLmException;
import dev.locallm.error.StructuredOutputException;
import dev.locallm.error.TruncatedOutputException;
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
        int repairs = shared.engine().repairAttempts();
        ChatRequest attempt = request;
        for (int i = 0; ; i++) {
            GenerationRun run = start(attempt);
            ChatChunk chunk;
            do {
                chunk = run.nextChunk();
            } while (chunk != null && !chunk.isLast());
            ChatResponse response = run.response();
            if (response.finishReason() == FinishReason.CANCELLED) {
                throw cancelled(run);
            }
            try {
                StructuredOutput.check(request, response);
                return response;
            } catch (TruncatedOutputException e) {
                throw e;
            } catch (StructuredOutputException e) {
                if (i >= repairs) {
                    throw e;
                }
                attempt = StructuredOutput.repairRequest(attempt, response, e);
            }
        }
    }

    @Override
    public ChatStream chatStream(ChatRequest request) {
        return new RunChatStream(start(request), response -> StructuredOutput.check(request, response));
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
        return new RunChatStream(register(generation, startNanos), response -> { });
    }

    private GenerationRun start(ChatRequest request) {
        Objects.requireNonNull(request, "request");
        shared.ensureOpen();
        ChatRequest resolved = request.withOptions(defaults.overriddenBy(request.options()));
        long startNanos = System.nanoTime();
        return register(shared.engine().start(resolved), startNanos);
    }

    private GenerationRun register(Generation generation, long startNanos) {
        AtomicReference<GenerationRun> self = new AtomicReference<>();
        GenerationRun run = new GenerationRun(generation, startNanos, () -> shared.unregister(self.get()));
        self.set(run);
        shared.register(run);
        return run;
    }

    private static GenerationCancelledException cancelled(GenerationRun run) {
        GenerationRun.CancelCause cause = run.cancelCause();
        String why = cause == GenerationRun.CancelCause.INTERRUPTED ? "the calling thread was interrupted"
                : cause == GenerationRun.CancelCause.MODEL_CLOSED ? "the model was closed"
                : "it was cancelled";
        return new GenerationCancelledException("Generation cancelled because " + why, run.textSoFar());
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
