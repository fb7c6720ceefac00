package dev.locallm.llamacpp;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaIterator;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.GenerationOptions;
import dev.locallm.chat.ModelCapabilities;
import dev.locallm.engine.Grammars;
import dev.locallm.engine.TextGeneration;
import dev.locallm.engine.grammar.Grammar;
import dev.locallm.engine.toolcall.ToolCallFormat;
import dev.locallm.engine.toolcall.ToolPrompt;
import dev.locallm.error.ContextLengthExceededException;
import dev.locallm.error.GenerationCancelledException;
import dev.locallm.error.InvalidRequestException;
import dev.locallm.llamacpp.gguf.GgufFile;
import dev.locallm.spi.ChatEngine;
import dev.locallm.spi.Generation;
import dev.locallm.template.ChatTemplate;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Chat on a GGUF model through llama.cpp: renders the chat template in Java, counts and checks prompt tokens,
 * waits for a slot, and streams the completion; {@link TextGeneration} turns the model's text into events (stop
 * sequences, tool calls in the model's format, JSON closed on truncation). Thread-safe.
 *
 * <p>Options the caller left unset take llama.cpp's own defaults ({@link #SAMPLING_DEFAULTS}): temperature 0.8,
 * top-p 0.95, top-k 40, min-p 0.05, repeat penalty 1.0 (off), a random seed, and as many tokens as the context
 * leaves.
 *
 * <p>Requests with a seed are computed without llama.cpp's prompt cache. When b4916 reuses a slot's cached
 * prompt it recomputes only the last prompt token, a different numerical path that changes logits slightly;
 * whether a slot is reused depends on timing, so a greedy request could give two different texts. A seed asks
 * for repeatable output, so it pays for processing the whole prompt; requests without one keep the cache.
 */
final class LlamaCppChatEngine implements ChatEngine {
    private static final long CLOSE_WAIT_MILLIS = 30_000;
    /** llama.cpp's defaults (its {@code common_params_sampling}) for the sampling options a caller leaves unset. */
    static final GenerationOptions SAMPLING_DEFAULTS = GenerationOptions.builder().temperature(0.8).topP(0.95).topK(40)
            .minP(0.05).repeatPenalty(1.0).build();

    private final LoadedGguf loaded;
    private final NativeModel model;
    private final ChatTemplate template;
    private final ToolCallFormat toolCallFormat;
    private final GgufFile.SpecialTokens special;
    private final ModelCapabilities capabilities;
    private final Set<LlamaGeneration> running = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();

    private LlamaCppChatEngine(LoadedGguf loaded, ChatTemplate template) {
        this.loaded = loaded;
        this.model = loaded.model();
        this.template = template;
        this.toolCallFormat = ToolCallFormat.detect(template.source());
        this.special = loaded.gguf().specialTokens();
        this.capabilities = ModelCapabilities.builder(loaded.gguf().name(), "llama.cpp")
                .contextLength(loaded.contextPerSlot()).parallelRequests(loaded.options().parallel())
                .tools(true).structuredOutput(true).build();
    }

    static LlamaCppChatEngine open(java.nio.file.Path path, LlamaCppOptions options) {
        ChatTemplate operatorTemplate = options.chatTemplate().map(ChatTemplate::compile).orElse(null);
        LoadedGguf loaded = LoadedGguf.open(path, options, false);
        try {
            return new LlamaCppChatEngine(loaded, operatorTemplate != null ? operatorTemplate
                    : modelTemplate(loaded.gguf()));
        } catch (RuntimeException e) {
            loaded.release();
            throw e;
        }
    }

    private static ChatTemplate modelTemplate(GgufFile gguf) {
        return ChatTemplate.ofModel(gguf.chatTemplate().orElse(null), gguf.path().getFileName(),
                "LlamaCppOptions.chatTemplate");
    }

    @Override
    public ModelCapabilities capabilities() {
        return capabilities;
    }

    /** Renders the prompt exactly as it will be tokenized (see {@link ToolPrompt#render}). */
    String renderPrompt(ChatRequest request) {
        return ToolPrompt.render(request, template::render, special.bosText(), special.eosText(), special.addBos());
    }

    /** How this model writes tool calls, detected from its chat template. */
    ToolCallFormat toolCallFormat() {
        return toolCallFormat;
    }

    @Override
    public Generation start(ChatRequest request) {
        if (closed.get()) {
            throw new GenerationCancelledException("The model is closed", "");
        }
        Optional<Grammar> grammar = Grammars.forRequest(request, toolCallFormat);
        String prompt = renderPrompt(request);
        return TextGeneration.chat(generate(prompt, request.options(), grammar.map(Grammar::toGbnf).orElse(null)),
                request, List.of(toolCallFormat), grammar.map(Grammar::unenforced).orElse(List.of()));
    }

    @Override
    public Generation startCompletion(String prompt, GenerationOptions options) {
        if (closed.get()) {
            throw new GenerationCancelledException("The model is closed", "");
        }
        return TextGeneration.completion(generate(prompt, options, null), options);
    }

    /** @param gbnf the grammar the output must follow, or {@code null} */
    private Generation generate(String prompt, GenerationOptions requested, String gbnf) {
        GenerationOptions o = SAMPLING_DEFAULTS.overriddenBy(requested);
        int promptTokens = model.encode(prompt).length + (special.addBos() ? 1 : 0);
        if (promptTokens == 0) {
            throw new InvalidRequestException("the prompt is empty and the model adds no BOS token", "prompt");
        }
        int context = loaded.contextPerSlot();
        if (promptTokens >= context) {
            throw new ContextLengthExceededException(promptTokens, o.maxTokens().orElse(0), context);
        }
        if (o.maxTokens().isPresent() && promptTokens + o.maxTokens().getAsInt() > context) {
            throw new ContextLengthExceededException(promptTokens, o.maxTokens().getAsInt(), context);
        }
        int nPredict = o.maxTokens().orElse(context - promptTokens);
        InferenceParameters parameters = new InferenceParameters(prompt)
                .setNPredict(nPredict)
                .setTemperature((float) o.temperature().orElseThrow())
                .setTopP((float) o.topP().orElseThrow())
                .setTopK(o.topK().orElseThrow())
                .setMinP((float) o.minP().orElseThrow())
                .setRepeatPenalty((float) o.repeatPenalty().orElseThrow())
                .setSeed(seed(o))
                .setCachePrompt(o.seed().isEmpty());
        if (gbnf != null) {
            parameters.setGrammar(gbnf);
        }

        NativeModel.SlotLease slot = model.leaseSlot();
        LlamaIterator iterator;
        try {
            iterator = model.startCompletion(parameters);
        } catch (RuntimeException e) {
            slot.release();
            throw e;
        }
        AtomicReference<LlamaGeneration> self = new AtomicReference<>();
        LlamaGeneration generation = new LlamaGeneration(model, iterator, promptTokens, seenEvictions -> {
            slot.evictAndRetake(seenEvictions);
            return model.startCompletion(parameters);
        }, () -> {
            slot.release();
            model.unregister(self.get());
            running.remove(self.get());
        });
        self.set(generation);
        running.add(generation);
        model.register(generation);
        if (closed.get()) {
            generation.cancelFromOtherThread();
        }
        return generation;
    }

    private static int seed(GenerationOptions o) {
        if (o.seed().isEmpty()) {
            return ThreadLocalRandom.current().nextInt(Integer.MAX_VALUE);
        }
        long s = o.seed().getAsLong();
        int folded = (int) (s ^ (s >>> 32));
        return folded == -1 ? Integer.MAX_VALUE : folded;
    }

    /** Cancels this engine's generations, waits for them to leave native code, and gives the model back. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        long deadline = System.currentTimeMillis() + CLOSE_WAIT_MILLIS;
        while (!running.isEmpty() && System.currentTimeMillis() < deadline) {
            running.forEach(LlamaGeneration::cancelFromOtherThread);
            if (!running.isEmpty()) {
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        loaded.release();
    }
}
