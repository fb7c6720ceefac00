package dev.locallm.bench;

import dev.locallm.ChatModel;
import dev.locallm.LocalLm;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.ResponseFormat;
import dev.locallm.chat.TruncationPolicy;
import dev.locallm.llamacpp.LlamaCppOptions;
import dev.locallm.llamacpp.gguf.GgmlType;
import dev.locallm.schema.JsonSchema;
import java.nio.file.Path;
import java.util.List;

/**
 * What a JSON-schema constraint costs in decode speed: the same model, prompt and sampling, generated
 * alternately with and without {@code ResponseFormat.jsonSchema(...)}, medians of decode tokens per second.
 *
 * <p>Usage: {@code bench/run.sh ConstrainedDecodingBench [rounds]}.
 */
public final class ConstrainedDecodingBench {
    private static final JsonSchema SCHEMA = JsonSchema.parse("""
            {"type":"object","properties":{"title":{"type":"string"},"year":{"type":"integer"},
             "tags":{"type":"array","items":{"type":"string"}},"rating":{"enum":["good","bad"]},
             "notes":{"type":"array","items":{"type":"object","properties":{"text":{"type":"string"},
             "page":{"type":"integer","minimum":1}},"required":["text","page"]}}},
             "required":["title","year","tags","rating","notes"],"additionalProperties":false}""");

    private ConstrainedDecodingBench() {
    }

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        System.out.printf("Constrained decoding cost, %d alternating rounds, medians, 1 decode thread%n", rounds);
        System.out.println("| model | free tok/s | JSON-schema tok/s | ratio | tokens (free / constrained) |");
        System.out.println("|---|---:|---:|---:|---:|");
        measure("stories260K (F32)", BenchModels.stories(), rounds, 0.9);
        measure("SmolLM2-135M shape, Q4_0", BenchModels.smolLm2Shape(GgmlType.Q4_0), rounds, 0.9);
        System.exit(0);
    }

    private static void measure(String label, Path file, int rounds, double temperature) {
        try (ChatModel model = LocalLm.builder().model(file.toString())
                .backendOptions(LlamaCppOptions.builder().threads(1).contextSize(1024).build()).buildChatModel()) {
            ChatRequest free = ChatRequest.builder().user("Describe a book you like.")
                    .options(o -> o.temperature(temperature).seed(1).maxTokens(160)).build();
            ChatRequest constrained = free.toBuilder().responseFormat(ResponseFormat.jsonSchema(SCHEMA))
                    .truncationPolicy(TruncationPolicy.CLOSE_JSON).build();
            model.chat(free);
            model.chat(constrained);
            List<AlternatingRounds.Round> done = AlternatingRounds.run(rounds,
                    seed -> model.chat(free.toBuilder().options(o -> o.seed(seed)).build()),
                    seed -> model.chat(constrained.toBuilder().options(o -> o.seed(seed)).build()));
            double[] f = done.stream().mapToDouble(r -> r.a().timings().decodeTokensPerSecond()).toArray();
            double[] c = done.stream().mapToDouble(r -> r.b().timings().decodeTokensPerSecond()).toArray();
            int freeTokens = done.stream().mapToInt(r -> r.a().usage().completionTokens()).sum();
            int constrainedTokens = done.stream().mapToInt(r -> r.b().usage().completionTokens()).sum();
            double fm = DecodeRun.median(f);
            double cm = DecodeRun.median(c);
            System.out.printf("| %s | %.1f | %.1f | %.3f | %d / %d |%n", label, fm, cm, cm / fm, freeTokens / rounds,
                    constrainedTokens / rounds);
        }
    }
}
