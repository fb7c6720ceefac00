package dev.locallm.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.locallm.ChatModel;
import dev.locallm.LocalLm;
import dev.locallm.chat.ChatResponse;
import dev.locallm.chat.GenerationOptions;
import dev.locallm.llamacpp.LlamaCppOptions;
import dev.locallm.llamacpp.gguf.GgmlType;
import dev.locallm.llamacpp.gguf.SyntheticLlamaGguf;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The graph onnxruntime-genai's model builder writes for Llama ({@code GroupQueryAttention}, no {@code position_ids},
 * {@code cos_cache}/{@code sin_cache} tables), as {@link SyntheticLlamaOnnx} writes it with the weights of a
 * {@link SyntheticLlamaGguf}, against llama.cpp on that GGUF: a small random model, so both compute the same
 * function on the same token ids.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GenaiGraphTest {
    private static final int CONTEXT = 256;
    private static final GenerationOptions GREEDY_24 = GenerationOptions.of(o -> o.temperature(0).maxTokens(24));

    private Path gguf;
    private Path onnx;
    private Path onnxHalfCache;

    @BeforeAll
    void writeModels(@TempDir Path dir) throws IOException {
        gguf = new SyntheticLlamaGguf().shape(64, 2, 4, 2, 128, 512).context(CONTEXT).weightType(GgmlType.F32)
                .randomWeights(7).dropTensor("output.weight").write(dir.resolve("model.gguf"));
        onnx = dir.resolve("onnx");
        new SyntheticLlamaOnnx(64, 2, 4, 2, 128, 512, CONTEXT, 7).write(onnx);
        onnxHalfCache = dir.resolve("onnx-half-cache");
        new SyntheticLlamaOnnx(64, 2, 4, 2, 128, 512, CONTEXT, 7).halfCache().write(onnxHalfCache);
    }

    private ChatModel llamaCpp(int context) {
        return LocalLm.builder().model(gguf.toString())
                .backendOptions(LlamaCppOptions.builder().threads(1).contextSize(context).build()).buildChatModel();
    }

    private static ChatModel onnx(Path folder, String query) {
        return LocalLm.builder().model("onnx:" + folder + query)
                .backendOptions(OnnxOptions.builder().threads(1).build()).buildChatModel();
    }

    @Test
    void greedyTokensAreLlamaCppsOnTheSameWeights() {
        try (ChatModel llama = llamaCpp(CONTEXT); ChatModel model = onnx(onnx, "")) {
            ChatResponse reference = llama.complete("Once upon a time", GREEDY_24);
            ChatResponse response = model.complete("Once upon a time", GREEDY_24);

            assertThat(reference.usage().completionTokens()).isEqualTo(24);
            assertThat(response.text()).isEqualTo(reference.text()).isNotBlank();
            assertThat(response.usage()).isEqualTo(reference.usage());
        }
    }

    @Test
    void aFloat16CacheAndFloat16LogitsGenerate() {
        // float16 at the graph's edge: an empty float16 cache first, float16 presents handed back, logits widened
        try (ChatModel half = onnx(onnxHalfCache, ""); ChatModel full = onnx(onnx, "")) {
            ChatResponse response = half.complete("Once upon a time", GREEDY_24);
            ChatResponse reference = full.complete("Once upon a time", GREEDY_24);

            assertThat(response.usage()).isEqualTo(reference.usage());
            assertThat(response.text()).isNotBlank();
            assertThat(half.complete("Once upon a time", GREEDY_24).text()).isEqualTo(response.text());
        }
    }

    @Test
    void aContextPastTheTablesGivesLlamaCppsTokensThere() {
        // given a prompt of 300 tokens (one a character) in a context of 512, past the tables' 256 rows
        String prompt = "The little dog ran to the park and played with a red ball. ".repeat(5);
        try (ChatModel llama = llamaCpp(512); ChatModel model = onnx(onnx, "?ctx=512")) {
            // when
            ChatResponse reference = llama.complete(prompt, GREEDY_24);
            ChatResponse response = model.complete(prompt, GREEDY_24);
            // then
            assertThat(reference.usage().promptTokens()).isGreaterThan(CONTEXT + 24);
            assertThat(response.usage()).isEqualTo(reference.usage());
            assertThat(response.text()).isEqualTo(reference.text());
        }
    }
}
