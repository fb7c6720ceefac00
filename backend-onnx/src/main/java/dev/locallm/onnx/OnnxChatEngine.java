package dev.locallm.onnx;

import ai.onnxruntime.OrtException;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.GenerationOptions;
import dev.locallm.chat.ModelCapabilities;
import dev.locallm.engine.Grammars;
import dev.locallm.engine.TextGeneration;
import dev.locallm.engine.grammar.Grammar;
import dev.locallm.engine.toolcall.ToolCallFormat;
import dev.locallm.engine.toolcall.ToolPrompt;
import dev.locallm.error.BackendUnavailableException;
import dev.locallm.error.ContextLengthExceededException;
import dev.locallm.error.GenerationCancelledException;
import dev.locallm.error.GenerationException;
import dev.locallm.error.InvalidRequestException;
import dev.locallm.error.ModelLoadException;
import dev.locallm.spi.ChatEngine;
import dev.locallm.spi.Generation;
import dev.locallm.template.ChatTemplate;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chat on an ONNX decoder folder: renders the chat template in Java, tokenizes, checks the context, waits for a
 * slot, and runs the decode loop of {@link OnnxGeneration}; {@link TextGeneration} turns the text into events (stop
 * sequences, tool calls written in the model's format). Thread-safe.
 *
 * <p>Up to {@link OnnxOptions#parallel()} generations run at once, each its own ONNX Runtime run with its own KV
 * cache (no batching); others wait, first come first served. Options the caller left unset take llama.cpp's
 * defaults, so that both backends mean the same by an empty request: temperature 0.8, top-p 0.95, top-k 40,
 * min-p 0.05, repeat penalty 1.0 (off), a random seed, and as many tokens as the context leaves.
 *
 * <p>JSON output (a response format) and forced tool calls follow the grammar of {@link Grammars#forRequest}, the
 * one the llama.cpp backend sends to llama.cpp, enforced by a {@link GrammarMask} over the vocabulary's
 * {@link TokenTrie}, built once per model when a first request needs it.
 */
final class OnnxChatEngine implements ChatEngine {
    private static final Logger LOG = LoggerFactory.getLogger(OnnxChatEngine.class);
    private static final long CLOSE_WAIT_MILLIS = 30_000;
    /** Permits {@link #close()} adds so that every request waiting for a slot wakes up and sees the engine closed. */
    private static final int WAKE_ALL_WAITERS = Integer.MAX_VALUE / 2;
    /** llama.cpp's defaults for the sampling options a caller leaves unset. */
    static final GenerationOptions SAMPLING_DEFAULTS = GenerationOptions.builder().temperature(0.8).topP(0.95).topK(40)
            .minP(0.05).repeatPenalty(1.0).build();

    private final ModelDirectory model;
    private final Tokenizer tokenizer;
    private final OnnxDecoder decoder;
    private final ChatTemplate template;
    private final ToolCallFormat toolCallFormat;
    private final int contextLength;
    private final ModelCapabilities capabilities;
    private final Semaphore slots;
    private final Set<OnnxGeneration> running = ConcurrentHashMap.newKeySet();
    /** Requests between their check that the engine is open and their generation's registration. */
    private final AtomicInteger starting = new AtomicInteger();
    private final Set<Integer> eos;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final TokenTexts tokenTexts;
    private volatile TokenTrie trie;

    private OnnxChatEngine(ModelDirectory model, Tokenizer tokenizer, OnnxDecoder decoder, ChatTemplate template,
                           OnnxOptions options) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.decoder = decoder;
        this.template = template;
        this.toolCallFormat = ToolCallFormat.detect(template.source());
        this.contextLength = options.contextSize().orElse(model.contextLength());
        this.slots = new Semaphore(options.parallel(), true);
        this.capabilities = ModelCapabilities.builder(model.name(), "onnxruntime").contextLength(contextLength)
                .parallelRequests(options.parallel()).tools(true).structuredOutput(true).build();
        this.eos = endOfTurn(model, tokenizer);
        this.tokenTexts = new TokenTexts(tokenizer, decoder.vocabulary() > 0 ? decoder.vocabulary() : 1 << 18);
    }

    /** The configs' end ids, and the tokenizer config's {@code eos_token} when it is one token. */
    private static Set<Integer> endOfTurn(ModelDirectory model, Tokenizer tokenizer) {
        Set<Integer> ids = new HashSet<>(model.eos());
        if (!model.eosText().isEmpty()) {
            int[] encoded = tokenizer.encode(model.eosText());
            if (encoded.length == 1) {
                ids.add(encoded[0]);
            }
        }
        return Set.copyOf(ids);
    }

    /**
     * Loads a model folder.
     *
     * @throws ModelLoadException          when a file is missing, malformed or refused
     * @throws BackendUnavailableException when a native library or the device is missing
     */
    static OnnxChatEngine open(Path folder, OnnxOptions options) {
        ModelDirectory model = ModelDirectory.read(folder);
        ChatTemplate template = template(model, options);
        Tokenizer tokenizer = DjlTokenizer.open(model.tokenizerFile());
        try {
            OnnxDecoder decoder = OnnxDecoder.open(model, options, options.contextSize().orElse(model.contextLength()));
            try {
                return new OnnxChatEngine(model, tokenizer, decoder, template, options);
            } catch (RuntimeException e) {
                decoder.close();
                throw e;
            }
        } catch (RuntimeException e) {
            tokenizer.close();
            throw e;
        }
    }

    private static ChatTemplate template(ModelDirectory model, OnnxOptions options) {
        return options.chatTemplate().isPresent() ? ChatTemplate.compile(options.chatTemplate().get())
                : ChatTemplate.ofModel(model.chatTemplate().orElse(null), model.folder(), "OnnxOptions.chatTemplate");
    }

    @Override
    public ModelCapabilities capabilities() {
        return capabilities;
    }

    /** Renders the prompt exactly as it will be tokenized (see {@link ToolPrompt#render}). */
    String renderPrompt(ChatRequest request) {
        return ToolPrompt.render(request, template::render, model.bosText(), model.eosText(), model.addBos());
    }

    @Override
    public Generation start(ChatRequest request) {
        checkOpen();
        Optional<Grammar> grammar = Grammars.forRequest(request, toolCallFormat);
        GrammarMask mask = grammar.map(this::mask).orElseGet(() -> maskOfCallsStartedInText(request));
        return TextGeneration.chat(generate(renderPrompt(request), request.options(), mask), request,
                List.of(toolCallFormat), grammar.map(Grammar::unenforced).orElse(List.of()));
    }

    /** A mask that applies {@code grammar} from the first token. */
    GrammarMask mask(Grammar grammar) {
        return GrammarMask.fromStart(grammar, this::trie, eos);
    }

    /**
     * Under {@code tool_choice} auto, the calls the model starts on its own follow their grammar from their opening
     * on (the format's marker anywhere; a bare JSON call at the start of the reply); {@code null} when there is
     * nothing to constrain that way (see {@link Grammars#forCallsStartedInText}).
     */
    private GrammarMask maskOfCallsStartedInText(ChatRequest request) {
        boolean marked = !toolCallFormat.marker().isEmpty();
        return Grammars.forCallsStartedInText(request, toolCallFormat)
                .map(calls -> mask(calls, marked ? toolCallFormat.marker() : "{\"name\"", marked)).orElse(null);
    }

    /** A mask that applies {@code grammar} once the output holds {@code opening} (see {@link GrammarMask}). */
    GrammarMask mask(Grammar grammar, String opening, boolean anywhere) {
        return GrammarMask.fromOpening(grammar, opening, anywhere, this::trie, eos);
    }

    @Override
    public Generation startCompletion(String prompt, GenerationOptions options) {
        checkOpen();
        return TextGeneration.completion(generate(prompt, options, null), options);
    }

    private void checkOpen() {
        if (closed.get()) {
            throw new GenerationCancelledException("The model is closed", "");
        }
    }

    /** A generation of {@code text}'s continuation, masked by {@code mask} unless it is {@code null}. */
    OnnxGeneration generate(String text, GenerationOptions requested, GrammarMask mask) {
        starting.incrementAndGet();
        try {
            checkOpen();
            return generateOpen(text, requested, mask);
        } finally {
            starting.decrementAndGet();
        }
    }

    /**
     * Refuses a prompt with ids the model has no embedding for: a tokenizer larger than the model's vocabulary (as
     * in test models cut down from a real tokenizer) would otherwise fail inside ONNX Runtime.
     */
    private void checkVocabulary(int[] prompt) {
        int vocabulary = decoder.vocabulary();
        for (int id : prompt) {
            if (vocabulary > 0 && id >= vocabulary) {
                throw new InvalidRequestException("The prompt holds token " + id + " ('" + tokenizer.decode(new int[]
                        {id}) + "'), outside the model's vocabulary of " + vocabulary + " (its tokenizer knows more "
                        + "tokens than the model has embeddings for)");
            }
        }
    }

    /** Starts a generation while {@link #close()} waits for this thread to leave the tokenizer. */
    private OnnxGeneration generateOpen(String text, GenerationOptions requested, GrammarMask mask) {
        GenerationOptions o = SAMPLING_DEFAULTS.overriddenBy(requested);
        int[] encoded = tokenizer.encode(text);
        int[] prompt = model.addBos() ? prepend(model.bos().getAsInt(), encoded) : encoded;
        if (prompt.length == 0) {
            throw new InvalidRequestException("the prompt is empty and the model adds no BOS token", "prompt");
        }
        checkVocabulary(prompt);
        if (prompt.length >= contextLength) {
            throw new ContextLengthExceededException(prompt.length, o.maxTokens().orElse(0), contextLength);
        }
        if (o.maxTokens().isPresent() && prompt.length + o.maxTokens().getAsInt() > contextLength) {
            throw new ContextLengthExceededException(prompt.length, o.maxTokens().getAsInt(), contextLength);
        }
        int maxTokens = o.maxTokens().orElse(contextLength - prompt.length);
        long seed = o.seed().orElseGet(() -> ThreadLocalRandom.current().nextLong());
        Sampler sampler = new Sampler(o.temperature().orElseThrow(), o.topK().orElseThrow(), o.topP().orElseThrow(),
                o.minP().orElseThrow(), o.repeatPenalty().orElseThrow(), seed);
        StreamingDetokenizer detokenizer = new StreamingDetokenizer(tokenizer, tokenTexts, detokenizerContext(prompt));
        acquireSlot();
        AtomicReference<OnnxGeneration> self = new AtomicReference<>();
        OnnxGeneration generation;
        try {
            generation = new OnnxGeneration(decoder, prompt, sampler, maxTokens, contextLength, eos,
                    detokenizer, mask, () -> {
                        running.remove(self.get());
                        slots.release();
                    });
        } catch (OrtException | RuntimeException e) {
            slots.release();
            throw new GenerationException("ONNX Runtime could not start a generation: " + e.getMessage(), e);
        }
        self.set(generation);
        running.add(generation);
        if (closed.get()) {
            generation.cancelFromOtherThread();
        }
        return generation;
    }

    /**
     * The last prompt tokens the detokenizer decodes the first generated ones after, so that a SentencePiece
     * decoder keeps their leading space as llama.cpp does; a plain token goes first when they are all special
     * (only BOS, say) and decode to nothing.
     */
    private int[] detokenizerContext(int[] prompt) {
        int[] last = Arrays.copyOfRange(prompt, Math.max(0, prompt.length - 5), prompt.length);
        if (!tokenizer.decode(last).isEmpty()) {
            return last;
        }
        int[] plain = tokenizer.encode("a");
        return plain.length == 0 ? last : prepend(plain[plain.length - 1], last);
    }

    /** The model's vocabulary (the size of its logits), or -1 when its graph leaves it open. */
    int vocabularySize() {
        return decoder.vocabulary();
    }

    /** The vocabulary's trie for logits of {@code vocabularySize}, built on first use. */
    TokenTrie trie(int vocabularySize) {
        TokenTrie t = trie;
        if (t != null && t.vocabularySize() == vocabularySize) {
            return t;
        }
        synchronized (this) {
            t = trie;
            if (t == null || t.vocabularySize() != vocabularySize) {
                long start = System.nanoTime();
                t = TokenTrie.build(tokenTexts, vocabularySize, eos);
                LOG.debug("Token trie of {}: {} of {} tokens usable under a grammar, built in {} ms", model.folder(),
                        t.usableTokens(), vocabularySize, (System.nanoTime() - start) / 1_000_000);
                trie = t;
            }
            return t;
        }
    }

    private void acquireSlot() {
        try {
            slots.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GenerationCancelledException("Interrupted while waiting for the ONNX model", "");
        }
        if (closed.get()) {
            slots.release();
            checkOpen();
        }
    }

    private static int[] prepend(int first, int[] rest) {
        int[] all = new int[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }

    /** Cancels this engine's generations, waits for them to leave ONNX Runtime, then frees session and tokenizer. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        slots.release(WAKE_ALL_WAITERS);
        long deadline = System.currentTimeMillis() + CLOSE_WAIT_MILLIS;
        while ((!running.isEmpty() || starting.get() > 0) && System.currentTimeMillis() < deadline) {
            running.forEach(OnnxGeneration::cancelFromOtherThread);
            if (!running.isEmpty()) {
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        if (!running.isEmpty() || starting.get() > 0) {
            LOG.warn("{} generations of {} did not end; the ONNX session is left open rather than freed under them",
                    running.size() + starting.get(), model.folder());
            return;
        }
        try {
            decoder.close();
        } finally {
            tokenizer.close();
        }
    }
}
