package dev.locallm.bench;

import dev.locallm.ChatModel;
import dev.locallm.LocalLm;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.GenerationOptions;
import dev.locallm.chat.ResponseFormat;
import dev.locallm.chat.TruncationPolicy;
import dev.locallm.llamacpp.LlamaCppOptions;
import dev.locallm.llamacpp.gguf.GgmlType;
import dev.locallm.onnx.OnnxOptions;
import dev.locallm.schema.JsonSchema;
import java.nio.file.Path;
import java.util.List;

/**
 * The ONNX backend beside the llama.cpp backend on the same weights (stories260K as {@code stories260K-onnx} and
 * {@code stories260K.gguf}), one thread each, in one process: decode tokens per second and time to first token,
 * free and with a JSON schema, medians of alternating rounds. The model is tiny, so this measures what each
 * backend costs per token around the arithmetic: ORT runs, tensors, Java sampling and masks against llama.cpp's.
 *
 * <p>With {@code smollm2}, the same on a random-weight model of SmolLM2-135M's shape in F32 on both backends
 * ({@link BenchModels#smolLm2Shape} and {@link BenchModels#smolLm2ShapeOnnx}: the same weights, the same token
 * ids), where the arithmetic dominates; also how many greedy tokens both give alike.
 *
 * <p>Usage: {@code bench/run.sh OnnxVsLlamaCppBench [rounds] [stories|smollm2] [threads]}.
 */
public final class OnnxVsLlamaCppBench {
    private static final JsonSchema SCHEMA = JsonSchema.parse("""
            {"type":"object","properties":{"name":{"type":"string","maxLength":20},"age":{"type":"integer",
             "minimum":0,"maximum":99},"pets":{"type":"array","items":{"type":"string","maxLength":10},"maxItems":3},
             "happy":{"type":"boolean"}},"required":["name","age","pets","happy"],"additionalProperties":false}""");

    private OnnxVsLlamaCppBench() {
    }

    public static void main(String[] args) {
        try {
            int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 9;
            if (args.length > 1 && args[1].equals("smollm2")) {
                runSmolLm2Shape(rounds, args.length > 2 ? Integer.parseInt(args[2]) : 2);
            } else {
                run(rounds);
            }
        } finally {
            System.exit(0); // the llama.cpp binding leaves a non-daemon native thread
        }
    }

    private static void run(int rounds) {
        try (ChatModel llama = LocalLm.builder().model(BenchModels.stories().toString())
                .backendOptions(LlamaCppOptions.builder().threads(1).contextSize(512).build()).buildChatModel();
                ChatModel onnx = LocalLm.builder().model("onnx:" + BenchModels.shared("stories260K-onnx"))
                        .backendOptions(OnnxOptions.builder().threads(1).build()).buildChatModel()) {
            ChatRequest free = ChatRequest.builder().user("Tell me a story.")
                    .options(o -> o.temperature(0.8).seed(1).maxTokens(200)).build();
            ChatRequest schema = free.toBuilder().responseFormat(ResponseFormat.jsonSchema(SCHEMA))
                    .truncationPolicy(TruncationPolicy.CLOSE_JSON).build();
            System.out.printf("ONNX vs llama.cpp on stories260K, %d alternating rounds, medians, 1 thread%n", rounds);
            System.out.println("| request | llama.cpp tok/s | ONNX tok/s | ONNX / llama.cpp | llama.cpp TTFT ms "
                    + "| ONNX TTFT ms |");
            System.out.println("|---|---:|---:|---:|---:|---:|");
            measure("free text, 200 tokens", llama, onnx, free, rounds);
            measure("JSON schema", llama, onnx, schema, rounds);
        }
    }

    private static void runSmolLm2Shape(int rounds, int threads) {
        Path gguf = BenchModels.smolLm2Shape(GgmlType.F32);
        Path onnxFolder = BenchModels.smolLm2ShapeOnnx();
        try (ChatModel llama = LocalLm.builder().model(gguf.toString())
                .backendOptions(LlamaCppOptions.builder().threads(threads).contextSize(2048).build()).buildChatModel();
                ChatModel onnx = LocalLm.builder().model("onnx:" + onnxFolder)
                        .backendOptions(OnnxOptions.builder().threads(threads).build()).buildChatModel()) {
            GenerationOptions greedy = GenerationOptions.of(o -> o.temperature(0).maxTokens(32));
            String a = llama.complete("Once upon a time", greedy).text();
            String b = onnx.complete("Once upon a time", greedy).text();
            int same = 0;
            while (same < Math.min(a.length(), b.length()) && a.charAt(same) == b.charAt(same)) {
                same++;
            }
            System.out.printf("32 greedy tokens from \"Once upon a time\": %d of %d (llama.cpp) and %d (ONNX) "
                    + "characters alike%n", same, a.length(), b.length());
            ChatRequest free = ChatRequest.builder().user("Tell me a story.")
                    .options(o -> o.temperature(0.8).seed(1).maxTokens(64)).build();
            ChatRequest schema = free.toBuilder().responseFormat(ResponseFormat.jsonSchema(SCHEMA))
                    .truncationPolicy(TruncationPolicy.CLOSE_JSON).build();
            System.out.printf("ONNX vs llama.cpp on the SmolLM2-135M shape, F32, %d alternating rounds, medians, %d "
                    + "threads%n", rounds, threads);
            System.out.println("| request | llama.cpp tok/s | ONNX tok/s | ONNX / llama.cpp | llama.cpp TTFT ms "
                    + "| ONNX TTFT ms |");
            System.out.println("|---|---:|---:|---:|---:|---:|");
            measure("free text, 64 tokens", llama, onnx, free, rounds);
            measure("JSON schema", llama, onnx, schema, rounds);
        }
    }

    private static void measure(String label, ChatModel llama, ChatModel onnx, ChatRequest request, int rounds) {
        llama.chat(request);
        onnx.chat(request);
        List<AlternatingRounds.Round> done = AlternatingRounds.run(rounds,
                seed -> llama.chat(request.toBuilder().options(o -> o.seed(seed)).build()),
                seed -> onnx.chat(request.toBuilder().options(o -> o.seed(seed)).build()));
        double[] llamaSpeed = done.stream().mapToDouble(r -> r.a().timings().decodeTokensPerSecond()).toArray();
        double[] onnxSpeed = done.stream().mapToDouble(r -> r.b().timings().decodeTokensPerSecond()).toArray();
        double[] llamaFirst = done.stream().mapToDouble(r -> r.a().timings().timeToFirstToken().toNanos() / 1e6)
                .toArray();
        double[] onnxFirst = done.stream().mapToDouble(r -> r.b().timings().timeToFirstToken().toNanos() / 1e6)
                .toArray();
        double ls = DecodeRun.median(llamaSpeed);
        double os = DecodeRun.median(onnxSpeed);
        System.out.printf("| %s | %.0f | %.0f | %.2f | %.2f | %.2f |%n", label, ls, os, os / ls,
                DecodeRun.median(llamaFirst), DecodeRun.median(onnxFirst));
    }
}
