package dev.locallm.bench;

import dev.locallm.ChatModel;
import dev.locallm.ModelCapabilities;
import dev.locallm.chat.ChatChunk;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.FinishReason;
import dev.locallm.chat.GenerationOptions;
import dev.locallm.internal.EngineChatModel;
import dev.locallm.spi.ChatEngine;
import dev.locallm.spi.Generation;
import dev.locallm.spi.GenerationEvent;
import dev.locallm.stream.ChatStream;

/**
 * The cost per token of LocaLLM's core (stop sequences, timing, chunk objects, streaming) without any native
 * code: a backend that produces tokens instantly, streamed through {@code ChatModel.chatStream}.
 *
 * <p>Usage: {@code bench/run.sh CoreOverheadBench}.
 */
public final class CoreOverheadBench {
    private CoreOverheadBench() {
    }

    /** A backend whose tokens cost nothing. */
    private static final class InstantEngine implements ChatEngine {
        @Override
        public ModelCapabilities capabilities() {
            return new ModelCapabilities("instant", "bench", 1 << 30, 1, true, false, false);
        }

        @Override
        public Generation start(ChatRequest request, java.util.Optional<dev.locallm.grammar.Grammar> grammar) {
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

    public static void main(String[] args) {
        int tokens = 100_000;
        try (ChatModel model = EngineChatModel.create(new InstantEngine(), GenerationOptions.empty())) {
            for (String stop : new String[] {null, "\nUser:"}) {
                ChatRequest request = ChatRequest.builder().user("x")
                        .options(o -> {
                            o.maxTokens(tokens);
                            if (stop != null) {
                                o.stop(stop);
                            }
                        }).build();
                double best = Double.MAX_VALUE;
                for (int round = 0; round < 15; round++) {
                    long start = System.nanoTime();
                    long chars = 0;
                    try (ChatStream stream = model.chatStream(request)) {
                        for (ChatChunk chunk : stream) {
                            chars += chunk.text().length();
                        }
                    }
                    best = Math.min(best, (System.nanoTime() - start) / (double) tokens);
                    if (chars == 0) {
                        throw new IllegalStateException("no text");
                    }
                }
                System.out.printf("core overhead per streamed token (%s): %.0f ns%n",
                        stop == null ? "no stop sequence" : "one stop sequence", best);
            }
        }
        System.exit(0);
    }
}
