package dev.locallm.bench;

import dev.locallm.engine.grammar.Grammar;
import dev.locallm.engine.grammar.JsonSchemaGrammar;
import dev.locallm.error.UnsupportedSchemaException;
import dev.locallm.schema.JsonSchema;
import dev.locallm.schema.SchemaAssertion;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * LocaLLM's schema compiler on a folder of real-world JSON schemas (one schema per {@code .json} file; the corpus
 * is assembled outside the repository, from public sources such as JSON Schema Store, Snowplow's Iglu Central
 * and Kubernetes' schemas): how many compile, what refuses the rest, and what compiling costs. Each schema is
 * compiled in a child JVM that is killed when one schema takes longer than the limit, so a schema that never
 * finishes is counted, not waited for. By default the compiler leaves what a grammar cannot enforce to validation
 * (as a request does); {@code grammar-only} makes it refuse that instead.
 *
 * <p>Usage: {@code bench/run.sh SchemaCorpusBench DIR [seconds per schema, default 10] [grammar-only]}.
 */
public final class SchemaCorpusBench {
    private SchemaCorpusBench() {
    }

    public static void main(String[] args) throws Exception {
        if (args[0].equals("--child")) {
            child(Path.of(args[1]), Integer.parseInt(args[2]), Boolean.parseBoolean(args[3]));
            return;
        }
        Path dir = Path.of(args[0]);
        int limit = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        boolean grammarOnly = args.length > 2 && args[2].equals("grammar-only");
        Map<String, Integer> leftToValidation = new TreeMap<>();
        int leaving = 0;
        List<Path> files = schemas(dir);
        Map<String, Integer> refusedBy = new TreeMap<>();
        List<Long> compileMillis = new ArrayList<>();
        List<Long> allMillis = new ArrayList<>();
        List<Long> warmMillis = new ArrayList<>();
        List<Integer> rules = new ArrayList<>();
        int compiled = 0;
        int refused = 0;
        int overLimit = 0;
        int otherErrors = 0;
        int next = 0;
        while (next < files.size()) {
            Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx2g", "-cp", System.getProperty("java.class.path"), SchemaCorpusBench.class.getName(),
                    "--child", dir.toString(), String.valueOf(next), String.valueOf(grammarOnly)).redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            BlockingQueue<String> lines = new LinkedBlockingQueue<>();
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    for (String line = r.readLine(); line != null; line = r.readLine()) {
                        lines.add(line);
                    }
                } catch (IOException e) {
                    // the child was killed
                }
                lines.add("END");
            });
            reader.setDaemon(true);
            reader.start();
            while (true) {
                String line = lines.poll(limit, TimeUnit.SECONDS);
                if (line == null || line.equals("END")) {
                    child.destroyForcibly().waitFor();
                    if (next < files.size()) {
                        System.out.printf("%s: %s%n", files.get(next).getFileName(), line == null
                                ? "over " + limit + " s" : "child JVM died");
                        overLimit += line == null ? 1 : 0;
                        otherErrors += line == null ? 0 : 1;
                        next++;
                    }
                    break;
                }
                String[] f = line.split("\t", 6);
                int index = Integer.parseInt(f[0]);
                next = index + 1;
                long millis = Long.parseLong(f[2]);
                allMillis.add(millis);
                warmMillis.add(Long.parseLong(f[5]));
                switch (f[1]) {
                    case "OK" -> {
                        compiled++;
                        compileMillis.add(millis);
                        rules.add(Integer.parseInt(f[3]));
                        if (!f[4].isEmpty()) {
                            leaving++;
                            for (String keyword : new java.util.TreeSet<>(List.of(f[4].split(",")))) {
                                leftToValidation.merge(keyword, 1, Integer::sum);
                            }
                        }
                    }
                    case "REFUSED" -> {
                        refused++;
                        refusedBy.merge(f[3], 1, Integer::sum);
                        System.out.printf("%s: refused, %s%n", files.get(index).getFileName(), f[4]);
                    }
                    default -> {
                        otherErrors++;
                        System.out.printf("%s: %s %s%n", files.get(index).getFileName(), f[3], f[4]);
                    }
                }
            }
        }
        System.out.printf("%n%d schemas in %s (%s): %d compiled (%.1f%%), %d of them leaving assertions to "
                        + "validation; %d refused, %d over %d s, %d other errors%n", files.size(), dir,
                grammarOnly ? "grammar only" : "leaving to validation", compiled, 100.0 * compiled / files.size(),
                leaving, refused, overLimit, limit, otherErrors);
        System.out.printf("compile or refusal time, ms, first time: p50 %d, p99 %d, max %d; second time: p50 %d, "
                        + "p99 %d, max %d; compiled grammars' rules: p50 %d, p99 %d, max %d%n", percentile(allMillis, 50),
                percentile(allMillis, 99), percentile(allMillis, 100), percentile(warmMillis, 50),
                percentile(warmMillis, 99), percentile(warmMillis, 100), percentile(rules, 50), percentile(rules, 99),
                percentile(rules, 100));
        System.out.printf("refused by keyword: %s%n", refusedBy);
        System.out.printf("schemas leaving a keyword to validation: %s%n", leftToValidation);
        System.exit(0);
    }

    private static <T extends Comparable<T>> T percentile(List<T> values, int p) {
        if (values.isEmpty()) {
            return null;
        }
        List<T> sorted = values.stream().sorted().toList();
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - (p == 0 ? 0 : 1)));
    }

    private static List<Path> schemas(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
    }

    /**
     * Compiles the schemas from {@code from} on, each twice (the second time shows the cost once the JVM has
     * compiled the code paths this schema takes), one line per schema: index, outcome, milliseconds, detail,
     * milliseconds the second time.
     */
    private static void child(Path dir, int from, boolean grammarOnly) throws IOException {
        List<Path> files = schemas(dir);
        JsonSchemaGrammar.compile(JsonSchema.parse("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"}}}"));
        for (int i = from; i < files.size(); i++) {
            String text = Files.readString(files.get(i));
            String outcome = compile(text, grammarOnly);
            String again = compile(text, grammarOnly);
            System.out.println(i + "\t" + outcome + "\t" + again.split("\t")[1]);
            System.out.flush();
        }
    }

    /** Outcome, milliseconds, and detail (rules and keywords left to validation, or why refused). */
    private static String compile(String text, boolean grammarOnly) {
        long start = System.nanoTime();
        try {
            JsonSchema schema = JsonSchema.parse(text);
            Grammar g = grammarOnly ? JsonSchemaGrammar.compile(schema)
                    : JsonSchemaGrammar.compileLeavingToValidation(schema, false);
            return "OK\t" + (System.nanoTime() - start) / 1_000_000 + "\t" + g.ruleCount() + "\t"
                    + String.join(",", g.unenforced().stream().map(SchemaAssertion::keyword).toList());
        } catch (UnsupportedSchemaException e) {
            return "REFUSED\t" + (System.nanoTime() - start) / 1_000_000 + "\t" + e.keyword() + "\t"
                    + oneLine(e.getMessage());
        } catch (RuntimeException e) {
            return "ERROR\t" + (System.nanoTime() - start) / 1_000_000 + "\t" + e.getClass().getSimpleName()
                    + "\t" + oneLine(String.valueOf(e.getMessage()));
        }
    }

    private static String oneLine(String s) {
        String line = s.replace('\n', ' ').replace('\t', ' ');
        return line.length() > 200 ? line.substring(0, 200) + "..." : line;
    }
}
