package dev.locallm.llamacpp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.locallm.llamacpp.gguf.SyntheticLlamaGguf;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Structurally valid GGUF files with broken contents, loaded natively in a child JVM each, so that a crash
 * would show as a missing result line and an hs_err file instead of killing the test run. Every one must end
 * in a typed exception (or load, for the control case), and nothing native may reach stdout.
 */
class NativeLoadSafetyTest {
    @TempDir
    static Path dir;

    record Case(String name, String expected, UnaryOperator<SyntheticLlamaGguf> build) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                new Case("valid synthetic model", "ok", g -> g),
                new Case("missing tensor", "ModelLoadException", g -> g.dropTensor("blk.0.attn_q.weight")),
                new Case("tensor shapes disagree with hyperparameters", "ModelLoadException",
                        g -> g.set("llama.embedding_length", 32L)),
                new Case("unknown architecture", "ModelLoadException", g -> g.set("general.architecture", "martian")),
                new Case("zero attention heads", "head_count at offset 377 = 0", g -> g.set("llama.attention.head_count", 0L)),
                new Case("kv heads do not divide heads", "not a multiple of head_count_kv",
                        g -> g.set("llama.attention.head_count_kv", 3L)),
                new Case("bos token outside the vocabulary", "outside the vocabulary",
                        g -> g.set("tokenizer.ggml.bos_token_id", 100_000L)),
                new Case("absurd layer count", "block_count", g -> g.set("llama.block_count", 1_000_000L)),
                new Case("zero context length", "context_length", g -> g.set("llama.context_length", 0L)),
                new Case("no vocabulary", "tokenizer.ggml.tokens", g -> g.remove("tokenizer.ggml.tokens")),
                new Case("a negative norm epsilon", "layer_norm_rms_epsilon at offset",
                        g -> g.set("llama.attention.layer_norm_rms_epsilon", -1e-5)),
                new Case("a NaN rope base", "rope.freq_base at offset",
                        g -> g.set("llama.rope.freq_base", Double.NaN)),
                new Case("a token twice in the vocabulary", "holds 't5' twice, as tokens 5 and 359",
                        g -> g.tokens(java.util.stream.IntStream.range(0, 360)
                                .mapToObj(i -> "t" + (i == 359 ? 5 : i)).toList())),
                new Case("no architecture", "general.architecture", g -> g.remove("general.architecture")))
                .map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void loadingEndsInAResultNotACrash(Case c) throws Exception {
        // given
        Path file = c.build().apply(new SyntheticLlamaGguf().shape(64, 1, 4, 4, 64, 360))
                .write(dir.resolve(c.name().replace(' ', '-') + ".gguf"));
        Path workDir = Files.createDirectories(dir.resolve("run-" + c.name().replace(' ', '-')));
        // when
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), LoadProbe.class.getName(), file.toString())
                .directory(workDir.toFile())
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(90, TimeUnit.SECONDS)).as("child finished").isTrue();
        // then
        assertThat(p.exitValue()).as("exit code; stdout: %s", stdout).isZero();
        assertThat(hsErrFiles(workDir)).isEmpty();
        List<String> lines = stdout.lines().toList();
        assertThat(lines).as("stdout holds only the probe's result").hasSize(1);
        assertThat(lines.get(0)).startsWith("RESULT ").contains(c.expected());
    }

    private static List<Path> hsErrFiles(Path workDir) throws IOException {
        try (Stream<Path> files = Files.list(workDir)) {
            return files.filter(f -> f.getFileName().toString().startsWith("hs_err")).toList();
        }
    }
}
