package dev.locallm.bench;

import dev.locallm.ChatModel;
import dev.locallm.LocalLm;
import dev.locallm.chat.ChatChunk;
import dev.locallm.chat.ChatRequest;
import dev.locallm.stream.ChatStream;

/**
 * The cost per token of LocaLLM's core (timing, chunk objects, streaming) without any native code: the bench
 * backend's {@code bench:instant} model produces tokens instantly, streamed through {@code ChatModel.chatStream}.
 * Stop sequences are the engine's to apply, so the stop-sequence row measures an engine that ignores them.
 *
 * <p>Usage: {@code bench/run.sh CoreOverheadBench}.
 */
public final class CoreOverheadBench {
    private CoreOverheadBench() {
    }

    public static void main(String[] args) {
        int tokens = 100_000;
        try (ChatModel model = LocalLm.chatModel("bench:instant")) {
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
