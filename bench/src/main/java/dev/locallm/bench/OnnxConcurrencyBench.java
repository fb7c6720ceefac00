package dev.locallm.bench;

import dev.locallm.ChatModel;
import dev.locallm.LocalLm;
import dev.locallm.chat.GenerationOptions;
import dev.locallm.onnx.OnnxOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Concurrent requests on the ONNX backend, which queues them ({@code parallel=1}) or runs up to {@code parallel} at
 * once, each its own ONNX Runtime run (never batched): total decode tokens per second for 1, 2 and 4 clients, on the
 * SmolLM2-135M shape in F32, for {@code parallel=1} with all threads to the one run and for {@code parallel=2} with
 * the threads split between the runs. Each client completes {@code requests} prompts of 64 tokens, greedy.
 *
 * <p>Usage: {@code bench/run.sh OnnxConcurrencyBench [requests] [threads]}.
 */
public final class OnnxConcurrencyBench {
    private OnnxConcurrencyBench() {
    }

    public static void main(String[] args) throws Exception {
        int requests = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        String folder = BenchModels.smolLm2ShapeOnnx().toString();
        System.out.printf("ONNX backend, SmolLM2-135M shape F32, %d threads, %d requests of 64 tokens a client%n",
                threads, requests);
        System.out.println("| parallel | ORT threads a run | 1 client tok/s | 2 clients tok/s | 4 clients tok/s |");
        System.out.println("|---:|---:|---:|---:|---:|");
        for (int parallel : new int[] {1, 2}) {
            int perRun = Math.max(1, threads / parallel);
            try (ChatModel model = LocalLm.builder().model("onnx:" + folder)
                    .backendOptions(OnnxOptions.builder().threads(perRun).parallel(parallel).build())
                    .buildChatModel()) {
                model.complete("Once upon a time", GenerationOptions.of(o -> o.temperature(0).maxTokens(16)));
                System.out.printf("| %d | %d | %.1f | %.1f | %.1f |%n", parallel, perRun, total(model, 1, requests),
                        total(model, 2, requests), total(model, 4, requests));
            }
        }
    }

    /** Completion tokens per second of {@code clients} clients at once, each making {@code requests} requests. */
    private static double total(ChatModel model, int clients, int requests) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            long start = System.nanoTime();
            List<Future<Integer>> done = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                String prompt = "Once upon a time " + c;
                done.add(pool.submit(() -> {
                    int tokens = 0;
                    for (int r = 0; r < requests; r++) {
                        tokens += model.complete(prompt, GenerationOptions.of(o -> o.temperature(0).maxTokens(64)))
                                .usage().completionTokens();
                    }
                    return tokens;
                }));
            }
            int tokens = 0;
            for (Future<Integer> f : done) {
                tokens += f.get();
            }
            return tokens / ((System.nanoTime() - start) / 1e9);
        } finally {
            pool.shutdown();
        }
    }
}
