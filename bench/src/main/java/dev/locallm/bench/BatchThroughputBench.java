package dev.locallm.bench;

import dev.locallm.ChatModel;
import dev.locallm.LocalLm;
import dev.locallm.batch.BatchJob;
import dev.locallm.batch.BatchSummary;
import dev.locallm.llamacpp.LlamaCppOptions;
import dev.locallm.llamacpp.gguf.GgmlType;
import dev.locallm.server.LocalLmServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Batch throughput, side by side in alternating rounds: one model with 4 slots against one with 1 (each at the
 * concurrency of its slots), and a batch spread over two local servers (a pool, each server its own model and
 * decode thread) against the same batch through one of them. Prints requests and generated tokens per second of
 * the whole batch (wall time from start to the last result), medians of the rounds.
 *
 * <p>The two servers load two copies of the file: one file with the same settings is one native model in a
 * process (the backend shares it), which would make two servers one.
 *
 * <p>Usage: {@code bench/run.sh BatchThroughputBench [rounds] [requests] [tokens] [all|stories,q4]
 * [all|slots|servers]}.
 */
public final class BatchThroughputBench {

    private BatchThroughputBench() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int requests = args.length > 1 ? Integer.parseInt(args[1]) : 32;
        int tokens = args.length > 2 ? Integer.parseInt(args[2]) : 32;
        String models = args.length > 3 ? args[3] : "all";
        String setups = args.length > 4 ? args[4] : "all";
        System.out.printf("Batch throughput: %d requests of %d tokens, %d alternating rounds, medians; cores=%d%n",
                requests, tokens, rounds, Runtime.getRuntime().availableProcessors());
        System.out.println("| model | setup | A | B | A tok/s | B tok/s | B/A |");
        System.out.println("|---|---|---|---|---:|---:|---:|");
        Path dir = Files.createDirectories(Path.of("target", "bench-batch"));
        Path input = writeInput(dir.resolve("requests.jsonl"), requests, tokens);
        if (models.equals("all") || models.contains("stories")) {
            compare("stories260K (F32)", BenchModels.stories(), 1024, input, dir, rounds, setups);
        }
        if (models.equals("all") || models.contains("q4")) {
            compare("SmolLM2-135M shape, Q4_0", BenchModels.smolLm2Shape(GgmlType.Q4_0), 1024, input, dir, rounds,
                    setups);
        }
        System.exit(0);
    }

    private static Path writeInput(Path file, int requests, int tokens) throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
            lines.add("{\"custom_id\":\"r" + i + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":"
                    + "{\"model\":\"m\",\"max_tokens\":" + tokens + ",\"temperature\":0,\"seed\":" + i + ","
                    + "\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time, story number " + i + "\"}]}}");
        }
        return Files.write(file, lines);
    }

    private static ChatModel load(Path file, int context, int threads, int slots) {
        return LocalLm.builder().model(file.toString()).backendOptions(LlamaCppOptions.builder().threads(threads)
                .contextSize(context).parallel(slots).chatTemplate("{{ messages[0].content }}").build())
                .buildChatModel();
    }

    private static void compare(String label, Path file, int context, Path input, Path dir, int rounds,
            String setups) throws Exception {
        if (!setups.equals("servers")) {
            try (ChatModel one = load(file, context, 2, 1); ChatModel four = load(file, context, 2, 4)) {
                alternate(label, "slots, 2 threads", "1 slot", "4 slots", () -> run(one, input, dir),
                        () -> run(four, input, dir), rounds);
            }
        }
        if (setups.equals("slots")) {
            return;
        }
        Path copy = dir.resolve("copy-of-" + file.getFileName());
        Files.copy(file, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        try (ChatModel first = load(file, context, 1, 2); ChatModel second = load(copy, context, 1, 2);
             LocalLmServer a = LocalLmServer.builder().chatModel("m", first).port(0).build().start();
             LocalLmServer b = LocalLmServer.builder().chatModel("m", second).port(0).build().start();
             ChatModel oneServer = LocalLm.chatModel("openai:" + a.baseUrl() + "?model=m&parallel=2");
             ChatModel twoServers = LocalLm.chatModel("openai:" + a.baseUrl() + "," + b.baseUrl()
                     + "?model=m&parallel=2")) {
            alternate(label, "servers (each 1 thread, 2 slots)", "one server", "two servers",
                    () -> run(oneServer, input, dir), () -> run(twoServers, input, dir), rounds);
        }
    }

    private static void alternate(String label, String setup, String nameA, String nameB, Supplier<double[]> a,
            Supplier<double[]> b, int rounds) {
        a.get();
        b.get();
        double[] tokensA = new double[rounds];
        double[] tokensB = new double[rounds];
        for (int i = 0; i < rounds; i++) {
            if (i % 2 == 0) {
                tokensA[i] = a.get()[1];
                tokensB[i] = b.get()[1];
            } else {
                tokensB[i] = b.get()[1];
                tokensA[i] = a.get()[1];
            }
        }
        double ta = DecodeRun.median(tokensA);
        double tb = DecodeRun.median(tokensB);
        System.out.printf("| %s | %s | %s | %s | %.1f | %.1f | %.2f |%n", label, setup, nameA, nameB, ta, tb, tb / ta);
    }

    /** One whole batch into a fresh output: {requests per second, generated tokens per second}. */
    private static double[] run(ChatModel model, Path input, Path dir) {
        try {
            Path output = dir.resolve("results.jsonl");
            Files.deleteIfExists(output);
            long start = System.nanoTime();
            BatchSummary summary = BatchJob.builder().chatModel(model).input(input).output(output).build().run();
            double seconds = (System.nanoTime() - start) / 1e9;
            if (summary.progress().failed() > 0 || !summary.complete()) {
                throw new IllegalStateException("the batch did not complete: " + summary);
            }
            return new double[] {summary.progress().succeeded() / seconds,
                    summary.progress().completionTokens() / seconds};
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
