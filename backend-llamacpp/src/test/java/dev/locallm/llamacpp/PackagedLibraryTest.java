package dev.locallm.llamacpp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.locallm.error.BackendUnavailableException;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How the backend finds locallm-llamacpp-native jars and picks one: on a class path built here from descriptors. */
class PackagedLibraryTest {
    private static final Set<String> AVX2_ONLY = Set.of("pni", "ssse3", "sse4_1", "sse4_2", "avx", "avx2", "fma",
            "f16c");

    @TempDir
    Path dir;

    @Test
    void gpuBuildsComeFirstThenTheTunedOneThenThePortableOne() throws IOException {
        List<PackagedLibrary> all = PackagedLibrary.find(classPath(
                jar("linux-x86_64", "cpu-portable", "avx2 fma"),
                jar("linux-x86_64", "cpu", "avx2 avx512f"),
                jar("linux-x86_64", "cuda", "avx2"),
                jar("macos-aarch64", "metal", "")));
        assertThat(all).hasSize(4);
        assertThat(PackagedLibrary.candidates(all, "linux-x86_64", null, null)).extracting(PackagedLibrary::variant)
                .containsExactly("cuda", "cpu", "cpu-portable");
        assertThat(PackagedLibrary.candidates(all, "macos-aarch64", null, "")).extracting(PackagedLibrary::variant)
                .containsExactly("metal");
        assertThat(PackagedLibrary.candidates(all, "linux-aarch64", null, null)).isEmpty();
        PackagedLibrary cpu = PackagedLibrary.candidates(all, "linux-x86_64", null, "cpu").get(0);
        assertThat(cpu.resource()).isEqualTo("dev/locallm/llamacpp/native/linux-x86_64/cpu/libjllama.so");
        assertThat(cpu.cpuFeatures()).containsExactly("avx2", "avx512f");
        assertThat(cpu.llamaCppTag()).isEqualTo("b4980");
    }

    @Test
    void aLibraryNeedingFeaturesThisCpuLacksIsPassedOverOrRefusedWhenAskedFor() throws IOException {
        List<PackagedLibrary> all = PackagedLibrary.find(classPath(
                jar("linux-x86_64", "cpu", "avx2 avx512f"),
                jar("linux-x86_64", "cpu-portable", "avx2 fma")));
        assertThat(PackagedLibrary.candidates(all, "linux-x86_64", AVX2_ONLY, null))
                .extracting(PackagedLibrary::variant).containsExactly("cpu-portable");
        assertThat(PackagedLibrary.candidates(all, "linux-x86_64", Set.of("pni"), null)).isEmpty();
        assertThatThrownBy(() -> PackagedLibrary.candidates(all, "linux-x86_64", AVX2_ONLY, "cpu"))
                .isInstanceOf(BackendUnavailableException.class).hasMessageContaining("avx512f")
                .hasMessageContaining("cpu-portable");
    }

    @Test
    void aSecondJarOfTheSameVariantIsNotTriedTwice() throws IOException {
        List<PackagedLibrary> all = PackagedLibrary.find(classPath(jar("linux-x86_64", "cpu", "avx2"),
                jar("linux-x86_64", "cpu", "avx2")));
        assertThat(all).hasSize(2);
        assertThat(PackagedLibrary.candidates(all, "linux-x86_64", AVX2_ONLY, null)).hasSize(1);
    }

    @Test
    void theVariantPropertyPicksOneOrTheStockLibraryAndNamesWhatIsThereWhenItIsNot() throws IOException {
        List<PackagedLibrary> all = PackagedLibrary.find(classPath(jar("linux-x86_64", "cpu", "avx2")));
        assertThat(PackagedLibrary.candidates(all, "linux-x86_64", AVX2_ONLY, "stock")).isEmpty();
        assertThatThrownBy(() -> PackagedLibrary.candidates(all, "linux-x86_64", AVX2_ONLY, "cuda"))
                .isInstanceOf(BackendUnavailableException.class)
                .hasMessageContaining("-Dlocallm.llamacpp.variant=cuda").hasMessageContaining("found: cpu");
    }

    @Test
    void aDescriptorWithoutItsLibraryEntryIsABrokenJar() throws IOException {
        Path broken = dir.resolve("broken");
        Files.createDirectories(broken.resolve("META-INF/locallm"));
        Files.writeString(broken.resolve(PackagedLibrary.DESCRIPTOR), "platform=linux-x86_64\nvariant=cpu\n");
        assertThatThrownBy(() -> PackagedLibrary.find(classPath(broken)))
                .isInstanceOf(BackendUnavailableException.class).hasMessageContaining("'library'")
                .hasMessageContaining("build.sh");
    }

    @Test
    void thisMachinesPlatformAndCpuAreRead() {
        assertThat(PackagedLibrary.currentPlatform()).matches("(linux|macos|windows)-[a-z0-9_]+");
        Set<String> flags = PackagedLibrary.currentCpuFlags();
        if (Files.isReadable(Path.of("/proc/cpuinfo"))) {
            assertThat(flags).isNotEmpty();
        }
    }

    private Path jar(String platform, String variant, String features) throws IOException {
        Path root = Files.createTempDirectory(dir, platform + "-" + variant);
        Files.createDirectories(root.resolve("META-INF/locallm"));
        Files.writeString(root.resolve(PackagedLibrary.DESCRIPTOR), String.join("\n",
                "platform=" + platform, "variant=" + variant,
                "library=dev/locallm/llamacpp/native/" + platform + "/" + variant + "/libjllama.so",
                "sha256=00", "llamaCppTag=b4980", "llamaCppCommit=2099a9d5dbdcd2841d02dd396a71d0de70bf4490",
                "cpuFeatures=" + features, ""));
        return root;
    }

    private static ClassLoader classPath(Path... roots) throws IOException {
        List<URL> urls = new ArrayList<>();
        for (Path root : roots) {
            urls.add(root.toUri().toURL());
        }
        return new URLClassLoader(urls.toArray(URL[]::new), null);
    }
}
