package dev.locallm.internal;

import dev.locallm.ChatModel;
import dev.locallm.ModelCapabilities;
import dev.locallm.chat.ChatChunk;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.ChatResponse;
import dev.locallm.chat.FinishReason;
import dev.locallm.chat.GenerationOptions;
import dev.locallm.chat.TruncationPolicy;
import dev.locallm.error.GenerationCancelledException;
import dev.locallm.error.LocalLmException;
import dev.locallm.error.StructuredOutputException;
import dev.locallm.error.TruncatedOutputException;
import dev.locallm.grammar.Grammar;
import dev.locallm.spi.ChatEngine;
import dev.locallm.tool.ToolCallFormat;
import dev.locallm.spi.Generation;
import dev.locallm.stream.ChatStream;
import dev.locallm.stream.StreamHandler;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The {@link ChatModel} core builds around a backend's {@link ChatEngine}: it completes options with
 * defaults, compiles response formats to grammars and checks the output against them, applies stop sequences,
 * measures timings, adapts streaming styles and owns the lifecycle.
 * Thread-safe. A root instance owns the engine; views made by {@link #with} share it and do not close it.
 */
public final class EngineChatModel implements ChatModel {
    private final SharedEngine shared;
    private final GenerationOptions defaults;
    private final boolean owner;

    private EngineChatModel(SharedEngine shared, GenerationOptions defaults, boolean owner) {
        this.shared = shared;
        this.defaults = defaults;
        this.owner = owner;
    }

    /** A model that owns {@code engine} and closes it on {@link #close()}. */
    public static ChatModel create(ChatEngine engine, GenerationOptions defaults) {
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
        GenerationOptions effective = GenerationOptions.defaults().overriddenBy(defaults).overriddenBy(options);
        long startNanos = System.nanoTime();
        Generation generation = shared.engine().startCompletion(prompt, effective);
        return new RunChatStream(register(generation, effective, startNanos, null, null), response -> { });
    }

    private GenerationRun start(ChatRequest request) {
        Objects.requireNonNull(request, "request");
        shared.ensureOpen();
        GenerationOptions effective = GenerationOptions.defaults().overriddenBy(defaults)
                .overriddenBy(request.options());
        ChatRequest resolved = request.withOptions(effective);
        ToolCallFormat format = shared.engine().toolCallFormat();
        boolean forcedCall = request.usesTools() && request.toolChoice().forcesCall();
        Optional<Grammar> grammar = forcedCall ? Optional.of(StructuredOutput.toolGrammar(request, format))
                : StructuredOutput.grammar(request.responseFormat());
        long startNanos = System.nanoTime();
        Generation generation = shared.engine().start(resolved, grammar);
        Grammar closeWith = request.truncationPolicy() == TruncationPolicy.CLOSE_JSON ? grammar.orElse(null) : null;
        ToolStream tools = request.usesTools() ? new ToolStream(shared.engine().toolCallFormats(), request.tools())
                : null;
        return register(generation, effective, startNanos, closeWith, tools);
    }

    private GenerationRun register(Generation generation, GenerationOptions effective, long startNanos,
            Grammar closeWith, ToolStream tools) {
        AtomicReference<GenerationRun> self = new AtomicReference<>();
        GenerationRun run = new GenerationRun(generation, effective.stopSequences(), startNanos,
                () -> shared.unregister(self.get()), closeWith, tools);
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
