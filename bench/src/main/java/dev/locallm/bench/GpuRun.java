package dev.locallm.bench;

import dev.locallm.ChatModel;
import dev.locallm.LocalLm;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.ChatResponse;
import dev.locallm.llamacpp.LlamaCppOptions;
import dev.locallm.llamacpp.NativeLibraryInfo;
import dev.locallm.llamacpp.gguf.GgmlType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The GPU run of issue 17, made for a machine with a GPU, a GPU build of the native library on the classpath and
 * no JDK (run by {@code backend-llamacpp/native/gpu/run-on-gpu.sh} with a jlink'ed runtime). Prints the library
 * ({@link NativeLibraryInfo}), then for random-weight models of TinyLlama-1.1B's and SmolLM2-135M's shapes (Q4_0)
 * decode tokens/s and time to first token through {@code ChatModel} with every layer offloaded and with none
 * (the same library on the CPU), medians of the rounds, and a burst of concurrent clients on the GPU.
 *
 * <p>Usage: {@code GpuRun [rounds] [cpuThreads] [clients]}; models are written to {@code -Dbench.models} (default
 * {@code target/models}).
 */
public final class GpuRun {
    private static final String PASSTHROUGH = "{{ messages[0].content }}";

    private GpuRun() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int cpuThreads = args.length > 1 ? Integer.parseInt(args[1]) : Runtime.getRuntime().availableProcessors();
        int clients = args.length > 2 ? Integer.parseInt(args[2]) : 4;
        NativeLibraryInfo library = NativeLibraryInfo.current();
        System.out.println("library: " + library.summary());
        System.out.println("gpu offload: " + library.gpuOffload() + ", sees a GPU: " + library.hasGpu());
        System.out.println();
        System.out.printf("Single stream, ~480-token prompt, 128 tokens, greedy, %d rounds, medians; CPU: %d threads%n",
                rounds, cpuThreads);
        System.out.println("| model | where | prompt tokens | decode tok/s | TTFT ms |");
        System.out.println("|---|---|---:|---:|---:|");
        Path tiny = BenchModels.tinyLlamaShape(GgmlType.Q4_0);
        Path smol = BenchModels.smolLm2Shape(GgmlType.Q4_0);
        boolean gpu = library.hasGpu();
        for (Path model : List.of(tiny, smol)) {
            String name = model == tiny ? "TinyLlama-1.1B shape Q4_0" : "SmolLM2-135M shape Q4_0";
            if (gpu) {
                single(name, "GPU (all layers)", model, 999, cpuThreads, rounds);
            }
            single(name, "CPU", model, 0, cpuThreads, Math.max(1, rounds / 2));
        }
        System.out.println();
        if (!gpu) {
            System.out.println("No GPU: GPU rows and the concurrent burst skipped.");
            System.exit(0);
        }
        System.out.printf("Concurrent clients on the GPU, TinyLlama-1.1B shape Q4_0, %d slots, 128 tokens each, "
                + "greedy, total tokens/s over the burst, median of %d rounds%n", clients, rounds);
        System.out.println("| clients | total tok/s |");
        System.out.println("|---:|---:|");
        try (ChatModel model = open(tiny, 999, cpuThreads, clients)) {
            burst(model, 1);
            for (int n : new int[] {1, clients}) {
                double[] tps = new double[rounds];
                for (int r = 0; r < rounds; r++) {
                    tps[r] = burst(model, n);
                }
                System.out.printf("| %d | %.1f |%n", n, DecodeRun.median(tps));
            }
        }
        System.exit(0);
    }

    private static void single(String name, String where, Path file, int gpuLayers, int threads, int rounds) {
        try (ChatModel model = open(file, gpuLayers, threads, 1)) {
            ChatRequest request = ChatRequest.builder().user(prompt(115))
                    .options(o -> o.temperature(0).seed(1).maxTokens(128)).build();
            ApiOverheadBench.ourRun(model, request);
            double[] tps = new double[rounds];
            double[] ttft = new double[rounds];
            int promptTokens = model.chat(request).usage().promptTokens();
            for (int r = 0; r < rounds; r++) {
                DecodeRun run = ApiOverheadBench.ourRun(model, request);
                tps[r] = run.tokensPerSecond();
                ttft[r] = run.ttftMillis();
            }
            System.out.printf("| %s | %s | %d | %.1f | %.1f |%n", name, where, promptTokens, DecodeRun.median(tps),
                    DecodeRun.median(ttft));
        }
    }

    private static ChatModel open(Path file, int gpuLayers, int threads, int parallel) {
        return LocalLm.builder().model(file.toString()).backendOptions(LlamaCppOptions.builder().threads(threads)
                .batchThreads(threads).contextSize(2048).batchSize(512).parallel(parallel).gpuLayers(gpuLayers)
                .chatTemplate(PASSTHROUGH).build()).buildChatModel();
    }

    private static double burst(ChatModel model, int clients) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            long start = System.nanoTime();
            List<Future<ChatResponse>> replies = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                String text = "client " + c + ": " + prompt(40 + 8 * c);
                replies.add(pool.submit(() -> model.chat(ChatRequest.builder().user(text)
                        .options(o -> o.temperature(0).seed(1).maxTokens(128)).build())));
            }
            long tokens = 0;
            for (Future<ChatResponse> reply : replies) {
                tokens += reply.get().usage().completionTokens();
            }
            return tokens / ((System.nanoTime() - start) / 1e9);
        } finally {
            pool.shutdownNow();
        }
    }

    /** {@code words} words; the random-weight models' vocabularies split each into about four tokens. */
    private static String prompt(int words) {
        String[] vocabulary = {"the", "little", "dog", "ran", "to", "park", "and", "saw", "a", "big", "red", "ball"};
        StringBuilder text = new StringBuilder();
        java.util.SplittableRandom random = new java.util.SplittableRandom(words);
        for (int i = 0; i < words; i++) {
            text.append(i == 0 ? "" : " ").append(vocabulary[random.nextInt(vocabulary.length)]);
        }
        return text.toString();
    }
}
