package dev.locallm.bench;

import dev.locallm.ChatModel;
import dev.locallm.LocalLm;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.ResponseFormat;
import dev.locallm.chat.TruncationPolicy;
import dev.locallm.llamacpp.LlamaCppOptions;
import dev.locallm.onnx.OnnxOptions;
import dev.locallm.schema.JsonSchema;
import java.util.List;

/**
 * The ONNX backend beside the llama.cpp backend on the same weights (stories260K as {@code stories260K-onnx} and
 * {@code stories260K.gguf}), one thread each, in one process: decode tokens per second and time to first token,
 * free and with a JSON schema, medians of alternating rounds. The model is tiny, so this measures what each
 * backend costs per token around the arithmetic: ORT runs, tensors, Java sampling and masks against llama.cpp's.
 *
 * <p>Usage: {@code bench/run.sh OnnxVsLlamaCppBench [rounds]}.
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
            run(args.length > 0 ? Integer.parseInt(args[0]) : 9);
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
