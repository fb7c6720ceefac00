package dev.locallm.bench;

import dev.locallm.llamacpp.gguf.GgmlType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Decode speed by thread count and by how llama.cpp's worker threads wait, each configuration in a fresh JVM
 * ({@link DecodeProbe}), so that environment variables read when the native library loads take effect.
 * The bundled library is built with OpenMP, whose workers spin while idle unless told otherwise
 * ({@code OMP_WAIT_POLICY}, {@code GOMP_SPINCOUNT}); llama.cpp's own {@code --poll} applies to its thread pool.
 *
 * <p>Usage: {@code bench/run.sh ThreadSweepBench [rounds]}.
 */
public final class ThreadSweepBench {
    private ThreadSweepBench() {
    }

    private record Setting(String label, int threads, int batchThreads, int poll, Map<String, String> env) { }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int cores = Runtime.getRuntime().availableProcessors();
        Path model = BenchModels.smolLm2Shape(GgmlType.Q4_0);
        List<Setting> settings = new ArrayList<>();
        for (int t = 1; t <= cores; t++) {
            settings.add(new Setting("default", t, t, -1, Map.of()));
            settings.add(new Setting("poll=0", t, t, 0, Map.of()));
            settings.add(new Setting("OMP_WAIT_POLICY=passive", t, t, -1, Map.of("OMP_WAIT_POLICY", "passive")));
            settings.add(new Setting("GOMP_SPINCOUNT=0", t, t, -1, Map.of("GOMP_SPINCOUNT", "0")));
        }
        settings.add(new Setting("binding defaults", 0, 0, -1, Map.of()));
        settings.add(new Setting("LocaLLM defaults", Math.max(1, cores / 2), cores, -1, Map.of()));
        System.out.printf("Thread sweep on SmolLM2-135M shape Q4_0, 512-token prompt, 128 tokens, %d rounds each, "
                + "cores=%d%n", rounds, cores);
        System.out.println("| decode threads | prompt threads | wait setting | decode tok/s (median) | TTFT ms (median) |");
        System.out.println("|---:|---:|---|---:|---:|");
        for (Setting s : settings) {
            String result = run(model, s, rounds);
            System.out.printf("| %s | %s | %s | %s |%n", s.threads() == 0 ? "binding's" : String.valueOf(s.threads()),
                    s.batchThreads() == 0 ? "binding's" : String.valueOf(s.batchThreads()), s.label(), result);
        }
        System.exit(0);
    }

    /** Where the children's binding unpacks its library: not the shared temp dir it would clean up. */
    private static Path privateTmp() throws IOException {
        return java.nio.file.Files.createDirectories(Path.of("target", "binding-tmp")).toAbsolutePath();
    }

    private static String run(Path model, Setting s, int rounds) throws IOException, InterruptedException {
        String cp = System.getProperty("java.class.path");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g", "-Dde.kherud.llama.tmpdir=" + privateTmp(), "-cp", cp, DecodeProbe.class.getName(),
                model.toString(), String.valueOf(s.threads()), String.valueOf(s.batchThreads()),
                String.valueOf(s.poll()), String.valueOf(rounds));
        pb.environment().putAll(s.env());
        pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out.lines().filter(l -> l.startsWith("RESULT ")).map(l -> l.substring(7)).findFirst()
                .orElse("failed | exit " + p.exitValue());
    }
}
