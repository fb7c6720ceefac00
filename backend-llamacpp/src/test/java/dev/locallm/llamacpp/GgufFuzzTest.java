package dev.locallm.llamacpp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.locallm.testkit.TestModels;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mutants of the shared GGUF models ({@link GgufMutants}) read as {@code locallm info} reads them, then loaded
 * natively with one token generated, in child JVMs ({@link GgufFuzzProbe}): none crashes the JVM or leaves an
 * hs_err file, and each is either accepted or refused with a typed exception whose message is one line of
 * reasonable length without control characters; a file the reader refuses is named with the field and its byte
 * offset. The build runs a few mutants of each model; the long run takes
 * {@code -Dlocallm.fuzz.mutants=2000}, {@code -Dlocallm.fuzz.seed} changes them.
 */
class GgufFuzzTest {
    private static final Logger LOG = LoggerFactory.getLogger(GgufFuzzTest.class);
    private static final Pattern LINE = Pattern.compile("MUTANT (\\d+) (info|load) (ok|(\\S+) (\\d+) (\\d+) (.*))");
    /** Each child loads at most this many mutants: the binding leaks native memory on every model closed. */
    private static final int PER_CHILD = 50;
    private static final int MAX_MESSAGE = 1000;

    @TempDir
    Path dir;

    @Test
    void mutatedModelsAreRefusedWithOneLineOrRunNeverCrash() throws Exception {
        long seed = Long.getLong("locallm.fuzz.seed", 20261201L);
        int count = Integer.getInteger("locallm.fuzz.mutants", 60);
        List<String> failures = new ArrayList<>();
        Map<String, Integer> outcomes = new TreeMap<>();
        for (String name : List.of(TestModels.STORIES, TestModels.STORIES_CHATML)) {
            Path model = TestModels.require(name);
            for (int from = 0; from < count; ) {
                int to = Math.min(count, from + PER_CHILD);
                Map<Integer, List<String>> seen = runChild(model, seed, from, to, failures, outcomes);
                int next = from;
                while (next < to && finished(seen.get(next))) {
                    next++;
                }
                if (next < to) {
                    failures.add(name + " mutant " + next + " (" + mutantDescription(model, seed, next)
                            + "): the child JVM ended without a result");
                    next++;
                }
                from = next;
            }
        }
        LOG.info("{} mutants of each model (seed {}): {}", count, seed, outcomes);
        assertThat(failures).isEmpty();
    }

    /** Whether a mutant's steps reached their end: refused when read, or loaded with or without success. */
    private static boolean finished(List<String> steps) {
        return steps != null && (steps.contains("info error") || steps.stream().anyMatch(s -> s.startsWith("load")));
    }

    private Map<Integer, List<String>> runChild(Path model, long seed, int from, int to, List<String> failures,
            Map<String, Integer> outcomes) throws IOException, InterruptedException {
        Path work = Files.createDirectories(dir.resolve("run-" + model.getFileName() + "-" + from));
        Path results = work.resolve("results.txt");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", System.getProperty("java.class.path"), GgufFuzzProbe.class.getName(),
                model.toString(), Long.toString(seed), Integer.toString(from), Integer.toString(to), work.toString())
                .directory(work.toFile()).redirectOutput(results.toFile())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            failures.add(model.getFileName() + " mutants " + from + ".." + to + ": the child did not finish");
        }
        String stdout = Files.readString(results, StandardCharsets.UTF_8);
        try (Stream<Path> files = Files.list(work)) {
            files.filter(f -> f.getFileName().toString().startsWith("hs_err"))
                    .forEach(f -> failures.add(model.getFileName() + ": a JVM crash report " + f));
        }
        Map<Integer, List<String>> seen = new HashMap<>();
        for (String line : stdout.lines().toList()) {
            Matcher m = LINE.matcher(line);
            if (!m.matches()) {
                failures.add(model.getFileName() + ": the child printed a line that is not a result: "
                        + line.substring(0, Math.min(200, line.length())));
                continue;
            }
            int index = Integer.parseInt(m.group(1));
            String step = m.group(2);
            seen.computeIfAbsent(index, i -> new ArrayList<>()).add(step + " " + (m.group(4) == null ? "ok" : "error"));
            String outcome = step + " " + (m.group(4) == null ? "ok" : m.group(4).substring(m.group(4).lastIndexOf('.')
                    + 1));
            outcomes.merge(outcome, 1, Integer::sum);
            if (m.group(4) != null) {
                String problem = messageProblem(m.group(4), Integer.parseInt(m.group(5)),
                        Integer.parseInt(m.group(6)), m.group(7));
                if (problem == null && step.equals("info") && !m.group(7).matches(".* at offset \\d+: .*")) {
                    problem = "a malformed file refused without the field and offset: " + m.group(7);
                }
                if (problem != null) {
                    failures.add(model.getFileName() + " mutant " + index + " " + step + " ("
                            + mutantDescription(model, seed, index) + "): " + problem);
                }
            }
        }
        return seen;
    }

    private static String messageProblem(String type, int length, int lines, String message) {
        if (!type.startsWith("dev.locallm.error.")) {
            return "an untyped exception " + type + ": " + message;
        }
        if (lines != 1 || length > MAX_MESSAGE) {
            return "a message of " + lines + " lines and " + length + " characters: "
                    + message.substring(0, Math.min(300, message.length()));
        }
        if (message.chars().anyMatch(c -> c < 0x20)) {
            return "control characters in the message: " + message;
        }
        return null;
    }

    private static String mutantDescription(Path model, long seed, int index) throws IOException {
        return new GgufMutants(model, Files.readAllBytes(model), seed).get(index).description();
    }
}
