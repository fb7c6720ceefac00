package dev.locallm.llamacpp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.locallm.testkit.TestModels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A library that does not load (here: not a shared object at all; on a user's machine: a CUDA build without the
 * CUDA runtime) makes the binding fall back to its own CPU library. LocaLLM must refuse to go on, not run on the
 * CPU as if nothing happened. A child JVM, since a JVM loads its native library once.
 */
class NativeLibraryFallbackTest {
    @TempDir
    Path dir;

    @Test
    void aLibraryThatDoesNotLoadIsATypedErrorNotASilentFallback() throws Exception {
        Path libraryDir = Files.createDirectories(dir.resolve("broken-library"));
        Files.writeString(libraryDir.resolve(System.mapLibraryName("jllama")), "not a shared object");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-D" + NativeLibrary.LIBRARY_PATH_PROPERTY + "=" + libraryDir,
                "-D" + NativeLibrary.NATIVE_DIR_PROPERTY + "=" + dir.resolve("native"),
                "-cp", System.getProperty("java.class.path"), LoadProbe.class.getName(),
                TestModels.require(TestModels.STORIES).toString())
                .directory(dir.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(90, TimeUnit.SECONDS)).as("child finished").isTrue();
        assertThat(stdout.lines().filter(l -> l.startsWith("RESULT ")).findFirst()).get().asString()
                .contains("BackendUnavailableException").contains("did not load on this machine")
                .contains("fell back");
    }
}
