package dev.locallm.engine;

import dev.locallm.ChatModel;
import dev.locallm.LocalLm;
import dev.locallm.ScriptedEngine;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.ModelCapabilities;
import dev.locallm.engine.grammar.Grammar;
import dev.locallm.engine.toolcall.ToolCallFormat;
import dev.locallm.spi.BackendOptions;
import dev.locallm.spi.BackendProvider;
import dev.locallm.spi.ChatEngine;
import dev.locallm.spi.Generation;
import dev.locallm.spi.ModelLocation;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An engine whose model writes text, as llama.cpp's does: it replays a {@link ScriptedEngine}'s tokens through a
 * {@link TextGeneration}, in the Hermes tool-call format, and records the grammar it would constrain each request
 * with. Tests get a {@link ChatModel} of it through the SPI ({@link #chatModel}).
 */
final class ScriptedTextEngine implements ChatEngine {
    final ScriptedEngine model;
    final List<Optional<Grammar>> grammars = new CopyOnWriteArrayList<>();

    ScriptedTextEngine(ScriptedEngine model) {
        this.model = model;
    }

    /** A chat model around {@code engine}, loaded as users load models. */
    static ChatModel chatModel(ChatEngine engine) {
        return LocalLm.builder().model("scripted:test").backendOptions(new Options(engine)).buildChatModel();
    }

    /** A chat model that replays these tokens. */
    static ChatModel replaying(List<String> tokens) {
        return chatModel(new ScriptedTextEngine(new ScriptedEngine(tokens, false)));
    }

    @Override
    public ModelCapabilities capabilities() {
        return ModelCapabilities.builder("scripted", "test").contextLength(64).tools(true)
                .structuredOutput(model.repairAttempts == 0).build();
    }

    @Override
    public Generation start(ChatRequest request) {
        Optional<Grammar> grammar = Grammars.forRequest(request, ToolCallFormat.HERMES);
        grammars.add(grammar);
        return TextGeneration.chat(model.start(request), request, List.of(ToolCallFormat.HERMES),
                grammar.map(Grammar::unenforced).orElse(List.of()));
    }

    @Override
    public int repairAttempts() {
        return model.repairAttempts();
    }

    @Override
    public void close() {
        model.close();
    }

    /** Carries the engine to open from the test to the provider. */
    record Options(ChatEngine engine) implements BackendOptions { }

    /** Serves {@code scripted:} locations with the engine the options carry. */
    public static final class Provider implements BackendProvider {
        @Override
        public String name() {
            return "scripted";
        }

        @Override
        public Set<String> schemes() {
            return Set.of("scripted");
        }

        @Override
        public Class<Options> optionsType() {
            return Options.class;
        }

        @Override
        public BackendOptions defaultOptions() {
            throw new IllegalStateException("pass the engine with backendOptions(new ScriptedTextEngine.Options(...))");
        }

        @Override
        public ChatEngine openChat(ModelLocation location, BackendOptions options) {
            return ((Options) options).engine();
        }
    }
}
