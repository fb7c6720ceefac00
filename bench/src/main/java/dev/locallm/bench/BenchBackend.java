package dev.locallm.bench;

import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.FinishReason;
import dev.locallm.chat.ModelCapabilities;
import dev.locallm.spi.BackendOptions;
import dev.locallm.spi.BackendProvider;
import dev.locallm.spi.ChatEngine;
import dev.locallm.spi.Generation;
import dev.locallm.spi.GenerationEvent;
import dev.locallm.spi.ModelLocation;
import java.util.Set;

/**
 * The benchmarks' own backend, found like any other through the SPI: {@code bench:instant} is a model whose
 * tokens cost nothing (a word per token, up to {@code maxTokens} or 1000), so that what a harness measures is
 * LocaLLM's own cost per token. Stateless; thread-safe.
 */
public final class BenchBackend implements BackendProvider {
    /** This backend takes no options. */
    private static final BackendOptions NONE = new BackendOptions() { };

    @Override
    public String name() {
        return "bench";
    }

    @Override
    public Set<String> schemes() {
        return Set.of("bench");
    }

    @Override
    public Class<? extends BackendOptions> optionsType() {
        return NONE.getClass();
    }

    @Override
    public BackendOptions defaultOptions() {
        return NONE;
    }

    @Override
    public ChatEngine openChat(ModelLocation location, BackendOptions options) {
        if (!location.path().equals("instant")) {
            throw new IllegalArgumentException("the bench backend serves bench:instant, not " + location);
        }
        return new InstantEngine();
    }

    /** A backend whose tokens cost nothing. */
    private static final class InstantEngine implements ChatEngine {
        @Override
        public ModelCapabilities capabilities() {
            return ModelCapabilities.builder("instant", "bench").contextLength(1 << 30).build();
        }

        @Override
        public Generation start(ChatRequest request) {
            int max = request.options().maxTokens().orElse(1000);
            return new Generation() {
                private int produced;

                @Override
                public int promptTokens() {
                    return 1;
                }

                @Override
                public GenerationEvent next() {
                    return produced++ < max ? new GenerationEvent.Text(" word", 1)
                            : GenerationEvent.Finished.of(FinishReason.LENGTH);
                }

                @Override
                public void cancel() {
                }

                @Override
                public void close() {
                }
            };
        }

        @Override
        public void close() {
        }
    }
}
