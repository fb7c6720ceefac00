package dev.locallm.llamacpp.nativebuild;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.locallm.ChatModel;
import dev.locallm.LocalLm;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.ChatResponse;
import dev.locallm.error.BackendUnavailableException;
import dev.locallm.llamacpp.NativeLibraryInfo;
import dev.locallm.testkit.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The library this module just built ({@code -Pnative}), loaded from its classes directory the way a
 * {@code locallm-llamacpp-native} jar on the classpath is: what it says of itself, that it generates, refuses what
 * it cannot do, and that closing a model frees the native thread and memory LocaLLM's patches free.
 */
class PackagedNativeLibraryTest {
    private static final String VARIANT = System.getProperty("locallm.native.expectedVariant", "cpu");
    private static final boolean GPU_BUILD = List.of("cuda", "vulkan", "metal").contains(VARIANT);
    /** b4980 upstream, and node-llama-cpp 3.7.0's squashed copy of it. */
    private static final Set<String> B4980 = Set.of("2099a9d5dbdcd2841d02dd396a71d0de70bf4490",
            "a97dd0e3e54f266967ff7e9e9b36164b9d1074aa");

    private static String stories() {
        return "gguf:" + TestModels.require(TestModels.STORIES) + "?threads=1";
    }

    @Test
    void theLibraryComesFromTheNativeJarAndDescribesItsBuild() {
        NativeLibraryInfo info = NativeLibraryInfo.current();
        assertThat(info.origin()).isEqualTo(NativeLibraryInfo.Origin.LOCALLM_NATIVE_JAR);
        assertThat(info.variant()).isEqualTo(VARIANT);
        assertThat(info.llamaCpp()).isEqualTo("b4980");
        assertThat(info.llamaCppCommit()).isIn(B4980);
        assertThat(info.location()).contains("native-" + VARIANT + "-");
        assertThat(Files.isRegularFile(Path.of(info.location()))).isTrue();
        assertThat(info.systemInfo()).contains("CPU :");
        assertThat(info.devices()).anySatisfy(d -> assertThat(d.type()).isEqualTo("cpu"));
        assertThat(info.gpuOffload()).isEqualTo(GPU_BUILD ? NativeLibraryInfo.GpuOffload.SUPPORTED
                : NativeLibraryInfo.GpuOffload.NOT_SUPPORTED);
        if (VARIANT.equals("cpu") && info.systemInfo().contains("AVX")) {
            assertThat(info.systemInfo()).contains("AVX2 = 1");
        }
    }

    /**
     * Two slots busy at once both answer in full. On a CPU build greedy output is also the same whether a sequence
     * shared its batch or had its prompt cached, or not. GPU builds compute batches of 32 tokens or more on the GPU
     * even without offloaded layers, in another precision and order than the CPU's single-token steps, so there the
     * text may change with the batch a prompt went through and with the prompt cache (seen on the vulkan build).
     */
    @Test
    void greedyGenerationRepeatsAndTwoBusySlotsBothAnswer() throws Exception {
        try (ChatModel model = LocalLm.chatModel(stories() + "&batch-threads=2&parallel=2")) {
            ChatRequest request = ChatRequest.builder().user("Once upon a time").options(o -> o.temperature(0)
                    .maxTokens(48)).build();
            CompletableFuture<ChatResponse> first = CompletableFuture.supplyAsync(() -> model.chat(request));
            ChatResponse second = model.chat(request);
            ChatResponse one = first.get(120, TimeUnit.SECONDS);
            ChatResponse alone = model.chat(request);
            for (ChatResponse response : List.of(one, second, alone)) {
                assertThat(response.usage().completionTokens()).isEqualTo(48);
                assertThat(response.text()).isNotBlank();
            }
            if (!GPU_BUILD) {
                assertThat(second.text()).isEqualTo(one.text()).isEqualTo(alone.text());
            }
        }
    }

    @Test
    void gpuLayersOnACpuBuildAreRefused() {
        if (NativeLibraryInfo.current().gpuOffload() == NativeLibraryInfo.GpuOffload.SUPPORTED) {
            try (ChatModel model = LocalLm.chatModel(stories() + "&gpu-layers=99")) {
                assertThat(NativeLibraryInfo.current().hasGpu()).isTrue();
                assertThat(model.chat(ChatRequest.builder().user("Once").options(o -> o.maxTokens(8)).build())
                        .usage().completionTokens()).isEqualTo(8);
            }
            return;
        }
        assertThatThrownBy(() -> LocalLm.chatModel(stories() + "&gpu-layers=99"))
                .isInstanceOf(BackendUnavailableException.class).hasMessageContaining("CPU-only")
                .hasMessageContaining(VARIANT);
    }

    /**
     * The stock binding attaches its task thread for good (a JVM never exits by itself) and never frees the server
     * context (about 30 MB a load of stories260K).
     */
    @Test
    void closingAModelEndsItsNativeThreadAndFreesItsMemory() throws Exception {
        Set<Thread> before = Thread.getAllStackTraces().keySet();
        long rssAfterFirst = 0;
        for (int i = 0; i < 21; i++) {
            try (ChatModel model = LocalLm.chatModel(stories())) {
                assertThat(model.chat(ChatRequest.builder().user("Once").options(o -> o.maxTokens(4)).build())
                        .usage().completionTokens()).isEqualTo(4);
            }
            if (i == 0) {
                rssAfterFirst = rssKilobytes();
            }
        }
        // The task thread runs native code only: attached to the JVM, it shows no Java frame. close() now waits
        // for it to leave, so none may be left, daemon or not.
        List<Thread> left = Thread.getAllStackTraces().entrySet().stream()
                .filter(e -> !before.contains(e.getKey()) && e.getValue().length == 0).map(Map.Entry::getKey)
                .toList();
        assertThat(left).as("native threads left by closed models").isEmpty();
        if (rssAfterFirst > 0) {
            // The stock library keeps ~30 MB per load of stories260K (a 512-token context); 20 more loads would
            // add ~600 MB.
            assertThat(rssKilobytes() - rssAfterFirst).as("RSS growth over 20 loads, KB").isLessThan(150_000);
        }
    }

    private static long rssKilobytes() throws Exception {
        Path status = Path.of("/proc/self/status");
        if (!Files.isReadable(status)) {
            return 0;
        }
        return Files.readAllLines(status).stream().filter(l -> l.startsWith("VmRSS:"))
                .mapToLong(l -> Long.parseLong(l.replaceAll("[^0-9]", ""))).findFirst().orElse(0);
    }
}
