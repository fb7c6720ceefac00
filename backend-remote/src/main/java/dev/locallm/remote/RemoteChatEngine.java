package dev.locallm.remote;

import dev.locallm.ModelCapabilities;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.GenerationOptions;
import dev.locallm.error.ContextLengthExceededException;
import dev.locallm.error.GenerationCancelledException;
import dev.locallm.grammar.Grammar;
import dev.locallm.spi.ChatEngine;
import dev.locallm.spi.Generation;
import dev.locallm.tool.ToolCallFormat;
import java.util.List;
import java.util.Optional;
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
 * {@link Dialect} wants it. At most {@code parallel} requests run at once; others wait (interruptibly).
 * Thread-safe; {@link #close()} cancels running streams.
 */
final class RemoteChatEngine implements ChatEngine {
    private static final Logger LOG = LoggerFactory.getLogger(RemoteChatEngine.class);
    /** Characters a chat template adds around each message, for the prompt estimate (ChatML adds about 16). */
    private static final int MESSAGE_FRAMING = 16;

    private final RemoteServer server;
    private final Semaphore slots;
    private final Set<RemoteGeneration> running = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Cleared when the server refused {@code stream_options} once: some vLLM builds answer it with a 400. */
    private volatile boolean streamOptions = true;

    RemoteChatEngine(RemoteServer server) {
        this.server = server;
        this.slots = new Semaphore(server.options().parallel(), true);
    }

    @Override
    public ModelCapabilities capabilities() {
        return new ModelCapabilities(server.model(), "remote (" + server.dialect().uriName() + ")",
                server.contextLength(), server.options().parallel(), true, true, server.dialect().enforcesSchema());
    }

    /** Structured calls from the server are relayed as Hermes blocks (see {@link RemoteGeneration}). */
    @Override
    public ToolCallFormat toolCallFormat() {
        return ToolCallFormat.HERMES;
    }

    /**
     * Calls a server left in the reply's text are recovered in every format core reads: Hermes blocks, Mistral's
     * {@code [TOOL_CALLS]}, and a reply that is a {@code {"name": ..., "arguments"|"parameters": ...}} object
     * (Llama 3 and others), as vLLM without a tool parser or a template-only setup sends them.
     */
    @Override
    public List<ToolCallFormat> toolCallFormats() {
        return List.of(ToolCallFormat.HERMES, ToolCallFormat.MISTRAL, ToolCallFormat.JSON);
    }

    @Override
    public int repairAttempts() {
        return server.options().repairAttempts();
    }

    @Override
    public Generation start(ChatRequest request, Optional<Grammar> grammar) {
        int characters = request.messages().stream().mapToInt(m -> m.text().length() + MESSAGE_FRAMING).sum();
        return stream("/chat/completions", false, request.options(), estimate(characters),
                () -> RequestWriter.chat(request, grammar, server.model(), server.dialect(), streamOptions));
    }

    @Override
    public Generation startCompletion(String prompt, GenerationOptions options) {
        return stream("/completions", true, options, estimate(prompt.length()),
                () -> RequestWriter.completion(prompt, options, server.model(), server.dialect(), streamOptions));
    }

    /** Prompt tokens as estimated from characters (about 4 each), for servers that report no usage. */
    private static int estimate(int characters) {
        return Math.max(1, characters / 4);
    }

    private Generation stream(String path, boolean raw, GenerationOptions options, int estimatedPromptTokens,
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
            EventStream events;
            boolean sentStreamOptions = streamOptions;
            try {
                events = server.transport().openStream(path, body.get(), deadline);
            } catch (RemoteServerException e) {
                if (!sentStreamOptions || e.status() != 400 || !e.body().contains("stream_options")) {
                    throw e;
                }
                LOG.info("{} refused stream_options; sending without it from now on", server.transport().baseUrl());
                streamOptions = false;
                events = server.transport().openStream(path, body.get(), deadline);
            }
            RemoteGeneration[] self = new RemoteGeneration[1];
            RemoteGeneration generation = new RemoteGeneration(events, raw, estimatedPromptTokens,
                    server.options().readTimeout().toNanos(), deadline, () -> {
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
