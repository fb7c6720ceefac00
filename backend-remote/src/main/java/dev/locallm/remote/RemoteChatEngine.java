package dev.locallm.remote;

import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.GenerationOptions;
import dev.locallm.chat.ModelCapabilities;
import dev.locallm.engine.TextGeneration;
import dev.locallm.engine.toolcall.ToolCallFormat;
import dev.locallm.error.ContextLengthExceededException;
import dev.locallm.error.GenerationCancelledException;
import dev.locallm.spi.ChatEngine;
import dev.locallm.spi.Generation;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Chat on a remote OpenAI-compatible server: every generation is a streamed request, sent as the server's
 * {@link Dialect} wants it, with only the options the caller set (the server's and the model's defaults apply to
 * the rest). At most {@code parallel} requests run at once; others wait (interruptibly). Replies go through a
 * {@link TextGeneration}, which applies stop sequences beyond the ones the server takes, recovers calls a server
 * left in its text, and closes JSON cut short. Thread-safe; {@link #close()} cancels running streams.
 */
final class RemoteChatEngine implements ChatEngine {
    private static final Logger LOG = LoggerFactory.getLogger(RemoteChatEngine.class);
    /** Characters a chat template adds around each message, for the prompt estimate (ChatML adds about 16). */
    private static final int MESSAGE_FRAMING = 16;

    private final RemoteServer server;
    private final Semaphore slots;
    private final Set<RemoteGeneration> running = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final PromptCounter promptCounter;

    RemoteChatEngine(RemoteServer server) {
        this.server = server;
        this.slots = new Semaphore(server.options().parallel(), true);
        this.promptCounter = new PromptCounter(server);
    }

    /**
     * Calls a server left in the reply's text are recovered in every format the engine module reads: Hermes blocks,
     * Mistral's {@code [TOOL_CALLS]}, and a reply that is a {@code {"name": ..., "arguments"|"parameters": ...}}
     * object (Llama 3 and others), as vLLM without a tool parser or a template-only setup sends them.
     */
    private static final List<ToolCallFormat> CALLS_IN_TEXT = List.of(ToolCallFormat.HERMES, ToolCallFormat.MISTRAL,
            ToolCallFormat.JSON);

    @Override
    public ModelCapabilities capabilities() {
        return ModelCapabilities.builder(server.model(), "remote (" + server.dialect().uriName() + ")")
                .contextLength(server.contextLength()).parallelRequests(server.options().parallel())
                .tools(true).structuredOutput(server.dialect().enforcesSchema()).build();
    }

    @Override
    public int repairAttempts() {
        return server.options().repairAttempts();
    }

    @Override
    public Generation start(ChatRequest request) {
        int characters = request.messages().stream().mapToInt(m -> m.text().length() + MESSAGE_FRAMING).sum();
        return TextGeneration.chat(stream("/chat/completions", false, request.options(), estimate(characters),
                () -> RequestWriter.chat(request, server)), request, CALLS_IN_TEXT);
    }

    @Override
    public Generation startCompletion(String prompt, GenerationOptions options) {
        return TextGeneration.completion(stream("/completions", true, options, estimate(prompt.length()),
                () -> RequestWriter.completion(prompt, options, server)), options);
    }

    /** Prompt tokens as estimated from characters (about 4 each), for servers that report no usage. */
    private static int estimate(int characters) {
        return Math.max(1, characters / 4);
    }

    private RemoteGeneration stream(String path, boolean raw, GenerationOptions options, int estimatedPromptTokens,
            Supplier<ObjectNode> body) {
        int context = server.contextLength();
        if (context > 0 && options.maxTokens().isPresent() && options.maxTokens().getAsInt() >= context) {
            // Some servers (llama-server) cap max_tokens at the context instead of refusing it.
            throw new ContextLengthExceededException(estimatedPromptTokens, options.maxTokens().getAsInt(), context);
        }
        if (closed.get()) {
            throw new GenerationCancelledException("The model is closed", "");
        }
        try {
            slots.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GenerationCancelledException("Interrupted while waiting for a free request slot", "");
        }
        try {
            long deadline = server.transport().deadline();
            ObjectNode request = body.get();
            int promptTokens = promptCounter.check(path, request, options);
            EventStream events = server.openStream(path, request, body, deadline);
            RemoteGeneration[] self = new RemoteGeneration[1];
            RemoteGeneration generation = new RemoteGeneration(events, raw,
                    promptTokens > 0 ? promptTokens : estimatedPromptTokens,
                    server.options().readTimeout().toNanos(), deadline, server.transport().wire(), () -> {
                        running.remove(self[0]);
                        slots.release();
                    });
            self[0] = generation;
            running.add(generation);
            if (closed.get()) {
                generation.cancel();
            }
            return generation;
        } catch (RuntimeException e) {
            slots.release();
            throw e;
        }
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            running.forEach(RemoteGeneration::cancel);
        }
    }
}
