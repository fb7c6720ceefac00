package dev.locallm.bench;

import dev.locallm.ChatModel;
import dev.locallm.LocalLm;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.ChatResponse;
import dev.locallm.chat.ResponseFormat;
import dev.locallm.chat.TruncationPolicy;
import dev.locallm.engine.grammar.JsonSchemaGrammar;
import dev.locallm.error.StructuredOutputException;
import dev.locallm.error.TruncatedOutputException;
import dev.locallm.error.UnsupportedSchemaException;
import dev.locallm.schema.JsonSchema;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Structured output end to end on a real model: every schema of a folder (one per {@code .json} file, such as the
 * corpus {@link SchemaCorpusBench} reads) that compiles is asked for once, as a user would, and the outcome
 * counted: a reply (checked again here against the schema; it must validate), how many replies took more than
 * one sample, replies still invalid after every sample, replies cut by the token limit.
 *
 * <p>Usage: {@code bench/run.sh SchemaCorpusGenerationBench MODEL.gguf DIR [max tokens, default 256] [close]};
 * {@code close} asks for JSON cut by the token limit to be closed ({@code TruncationPolicy.CLOSE_JSON}).
 */
public final class SchemaCorpusGenerationBench {
    private SchemaCorpusGenerationBench() {
    }

    public static void main(String[] args) throws Exception {
        Path model = Path.of(args[0]);
        Path dir = Path.of(args[1]);
        int maxTokens = args.length > 2 ? Integer.parseInt(args[2]) : 256;
        TruncationPolicy truncation = args.length > 3 && args[3].equals("close") ? TruncationPolicy.CLOSE_JSON
                : TruncationPolicy.FAIL;
        List<Path> files;
        try (Stream<Path> list = Files.list(dir)) {
            files = list.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
        int compiled = 0;
        int replies = 0;
        int invalidReplies = 0;
        int sampledAgain = 0;
        int exhausted = 0;
        int truncated = 0;
        int leaving = 0;
        long tokens = 0;
        Map<String, Integer> exhaustedBy = new TreeMap<>();
        long startNanos = System.nanoTime();
        try (ChatModel chat = LocalLm.chatModel("gguf:" + model + "?threads=2&ctx=" + (maxTokens + 256))) {
            for (Path file : files) {
                JsonSchema schema = JsonSchema.parse(Files.readString(file));
                try {
                    leaving += JsonSchemaGrammar.compileLeavingToValidation(schema, false).unenforced().isEmpty() ? 0 : 1;
                } catch (UnsupportedSchemaException e) {
                    continue;
                }
                compiled++;
                long schemaStart = System.nanoTime();
                try {
                    ChatResponse r = chat.chat(ChatRequest.builder().user("Answer with JSON")
                            .responseFormat(ResponseFormat.jsonSchema(schema)).truncationPolicy(truncation)
                            .options(o -> o.temperature(1.0).seed(7).maxTokens(maxTokens)).build());
                    replies++;
                    tokens += r.usage().completionTokens();
                    sampledAgain += r.attempts() > 1 ? 1 : 0;
                    System.out.printf("%s: %d attempt(s), %d tokens, %.1f s%n", file.getFileName(), r.attempts(),
                            r.usage().completionTokens(), (System.nanoTime() - schemaStart) / 1e9);
                    if (!schema.validate(r.text()).isEmpty()) {
                        invalidReplies++;
                        System.out.printf("%s: INVALID REPLY %s%n", file.getFileName(), r.text());
                    }
                } catch (TruncatedOutputException e) {
                    truncated++;
                } catch (StructuredOutputException e) {
                    exhausted++;
                    String first = e.errors().isEmpty() ? e.getMessage() : e.errors().get(0);
                    exhaustedBy.merge(first.replaceAll("^[^:]*: ", "").replaceAll("'[^']*'", "'…'"), 1, Integer::sum);
                    System.out.printf("%s: invalid after %d samples: %s%n", file.getFileName(), e.attempts().size(),
                            first);
                }
            }
        }
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        System.out.printf("%n%s on %d schemas of %s that compile (%d leaving assertions to validation), up to %d "
                        + "tokens, truncation %s: %d replies, %d of them invalid; %d took more than one sample; %d invalid after "
                        + "every sample; %d cut by the token limit. %d reply tokens, %.0f s.%n",
                model.getFileName(), compiled, dir, leaving, maxTokens, truncation, replies, invalidReplies, sampledAgain,
                exhausted, truncated, tokens, seconds);
        System.out.printf("invalid after every sample, by first error: %s%n", exhaustedBy);
        System.exit(invalidReplies == 0 ? 0 : 1);
    }
}
