package dev.locallm.bench;

import dev.locallm.engine.grammar.Grammar;
import dev.locallm.engine.grammar.JsonSchemaGrammar;
import dev.locallm.error.UnsupportedSchemaException;
import dev.locallm.schema.JsonSchema;
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
 * finishes is counted, not waited for.
 *
 * <p>Usage: {@code bench/run.sh SchemaCorpusBench DIR [seconds per schema, default 10]}.
 */
public final class SchemaCorpusBench {
    private SchemaCorpusBench() {
    }

    public static void main(String[] args) throws Exception {
        if (args[0].equals("--child")) {
            child(Path.of(args[1]), Integer.parseInt(args[2]));
            return;
        }
        Path dir = Path.of(args[0]);
        int limit = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        List<Path> files = schemas(dir);
        Map<String, Integer> refusedBy = new TreeMap<>();
        List<Long> compileMillis = new ArrayList<>();
        List<Long> allMillis = new ArrayList<>();
        List<Integer> rules = new ArrayList<>();
        int compiled = 0;
        int refused = 0;
        int overLimit = 0;
        int otherErrors = 0;
        int next = 0;
        while (next < files.size()) {
            Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx2g", "-cp", System.getProperty("java.class.path"), SchemaCorpusBench.class.getName(),
                    "--child", dir.toString(), String.valueOf(next)).redirectError(ProcessBuilder.Redirect.DISCARD)
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
                String[] f = line.split("\t", 5);
                int index = Integer.parseInt(f[0]);
                next = index + 1;
                long millis = Long.parseLong(f[2]);
                allMillis.add(millis);
                switch (f[1]) {
                    case "OK" -> {
                        compiled++;
                        compileMillis.add(millis);
                        rules.add(Integer.parseInt(f[3]));
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
        System.out.printf("%n%d schemas in %s: %d compiled (%.1f%%), %d refused, %d over %d s, %d other errors%n",
                files.size(), dir, compiled, 100.0 * compiled / files.size(), refused, overLimit, limit, otherErrors);
        System.out.printf("compile or refusal time, ms: p50 %d, p99 %d, max %d; compiled grammars' rules: p50 %d, "
                + "max %d%n", percentile(allMillis, 50), percentile(allMillis, 99), percentile(allMillis, 100),
                percentile(rules, 50), percentile(rules, 100));
        System.out.printf("refused by keyword: %s%n", refusedBy);
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

    /** Compiles the schemas from {@code from} on, one line per schema: index, outcome, milliseconds, detail. */
    private static void child(Path dir, int from) throws IOException {
        List<Path> files = schemas(dir);
        JsonSchemaGrammar.compile(JsonSchema.parse("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"}}}"));
        for (int i = from; i < files.size(); i++) {
            String text = Files.readString(files.get(i));
            long start = System.nanoTime();
            String outcome;
            try {
                Grammar g = JsonSchemaGrammar.compile(JsonSchema.parse(text));
                outcome = "OK\t" + (System.nanoTime() - start) / 1_000_000 + "\t" + g.ruleCount() + "\t";
            } catch (UnsupportedSchemaException e) {
                outcome = "REFUSED\t" + (System.nanoTime() - start) / 1_000_000 + "\t" + e.keyword() + "\t"
                        + oneLine(e.getMessage());
            } catch (RuntimeException e) {
                outcome = "ERROR\t" + (System.nanoTime() - start) / 1_000_000 + "\t" + e.getClass().getSimpleName()
                        + "\t" + oneLine(String.valueOf(e.getMessage()));
            }
            System.out.println(i + "\t" + outcome);
            System.out.flush();
        }
    }

    private static String oneLine(String s) {
        String line = s.replace('\n', ' ').replace('\t', ' ');
        return line.length() > 200 ? line.substring(0, 200) + "..." : line;
    }
}
