package dev.locallm.bench;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.LlamaOutput;
import de.kherud.llama.ModelParameters;
import dev.locallm.ChatModel;
import dev.locallm.LocalLm;
import dev.locallm.chat.ChatChunk;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.ChatResponse;
import dev.locallm.llamacpp.LlamaCppOptions;
import dev.locallm.llamacpp.gguf.GgmlType;
import dev.locallm.stream.ChatStream;
import java.nio.file.Path;

/**
 * What LocaLLM's API costs over calling {@code de.kherud:llama} directly: the same model, prompt, sampling and
 * threads, generated alternately through {@code ChatModel.chatStream} and through the binding's
 * {@code LlamaModel.generate}, on stories260K and on a random-weight model of SmolLM2-135M's shape.
 *
 * <p>LocaLLM's model is opened first, so that the binding's native library is loaded LocaLLM's way (quietly,
 * from a private directory) for both.
 *
 * <p>Usage: {@code bench/run.sh ApiOverheadBench [threads] [rounds] [all|stories,q8,q4]}. Prints medians and the ratio
 * LocaLLM / raw for decode tokens per second and time to first token.
 */
public final class ApiOverheadBench {
    private static final String PASSTHROUGH = "{{ messages[0].content }}";

    private ApiOverheadBench() {
    }

    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 7;
        String models = args.length > 2 ? args[2] : "all";
        System.out.printf("API overhead, %d thread(s), %d alternating rounds, medians; cores=%d%n", threads, rounds,
                Runtime.getRuntime().availableProcessors());
        System.out.println("| model | prompt tokens | generated | raw tok/s | LocaLLM tok/s | ratio | raw TTFT ms "
                + "| LocaLLM TTFT ms | ratio |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        if (models.equals("all") || models.contains("stories")) {
            measure("stories260K (F32)", BenchModels.stories(), 384, 96, 512, threads, rounds);
        }
        if (models.equals("all") || models.contains("q8")) {
            measure("SmolLM2-135M shape, Q8_0", BenchModels.smolLm2Shape(GgmlType.Q8_0), 512, 128, 1024, threads, rounds);
        }
        if (models.equals("all") || models.contains("q4")) {
            measure("SmolLM2-135M shape, Q4_0", BenchModels.smolLm2Shape(GgmlType.Q4_0), 512, 128, 1024, threads, rounds);
        }
        System.exit(0);
    }

    private static void measure(String label, Path file, int promptTokens, int generate, int context, int threads,
                                int rounds) {
        ChatModel ours = LocalLm.builder().model(file.toString())
                .backendOptions(LlamaCppOptions.builder().threads(threads).contextSize(context).batchSize(512)
                        .parallel(1).chatTemplate(PASSTHROUGH).build())
                .buildChatModel();
        LlamaModel raw = new LlamaModel(new ModelParameters().setModel(file.toString()).setThreads(threads)
                .setThreadsBatch(threads).setCtxSize(context).setBatchSize(512).setUbatchSize(512).setParallel(1)
                .disableLog());
        String prompt = Prompts.ofTokens(promptTokens - 1, text -> raw.encode(text).length);
        try {
            ChatRequest request = ChatRequest.builder().user(prompt)
                    .options(o -> o.temperature(0).seed(1).maxTokens(generate)).build();
            rawRun(raw, prompt, generate);
            ourRun(ours, request);
            double[] rawTps = new double[rounds];
            double[] ourTps = new double[rounds];
            double[] rawTtft = new double[rounds];
            double[] ourTtft = new double[rounds];
            int generated = 0;
            for (int i = 0; i < rounds; i++) {
                DecodeRun r = i % 2 == 0 ? rawRun(raw, prompt, generate) : null;
                DecodeRun o = ourRun(ours, request);
                if (r == null) {
                    r = rawRun(raw, prompt, generate);
                }
                rawTps[i] = r.tokensPerSecond();
                ourTps[i] = o.tokensPerSecond();
                rawTtft[i] = r.ttftMillis();
                ourTtft[i] = o.ttftMillis();
                generated = o.tokens();
            }
            double rt = DecodeRun.median(rawTps);
            double ot = DecodeRun.median(ourTps);
            double rf = DecodeRun.median(rawTtft);
            double of = DecodeRun.median(ourTtft);
            System.out.printf("| %s | %d | %d | %.1f | %.1f | %.3f | %.1f | %.1f | %.3f |%n", label, promptTokens,
                    generated, rt, ot, ot / rt, rf, of, of / rf);
        } finally {
            ours.close();
            raw.close();
        }
    }

    static DecodeRun rawRun(LlamaModel model, String prompt, int generate) {
        InferenceParameters p = new InferenceParameters(prompt).setNPredict(generate).setTemperature(0).setSeed(1)
                .setTopK(40).setTopP(0.95f).setMinP(0.05f).setRepeatPenalty(1.0f).setCachePrompt(false);
        long start = System.nanoTime();
        long[] times = new long[generate + 2];
        int messages = 0;
        for (LlamaOutput ignored : model.generate(p)) {
            times[messages++] = System.nanoTime();
        }
        int tokens = messages - 1;
        long first = times[0];
        long lastToken = times[tokens - 1];
        return new DecodeRun((first - start) / 1e6, (tokens - 1) * 1e9 / (lastToken - first), tokens);
    }

    static DecodeRun ourRun(ChatModel model, ChatRequest request) {
        ChatResponse response;
        try (ChatStream stream = model.chatStream(request)) {
            ChatChunk last = null;
            for (ChatChunk chunk : stream) {
                last = chunk;
            }
            response = last.response().orElseThrow();
        }
        return new DecodeRun(response.timings().timeToFirstToken().toNanos() / 1e6,
                response.timings().decodeTokensPerSecond(), response.usage().completionTokens());
    }
}
