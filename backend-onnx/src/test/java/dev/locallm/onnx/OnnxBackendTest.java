package dev.locallm.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.locallm.ChatModel;
import dev.locallm.LocalLm;
import dev.locallm.chat.ChatChunk;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.ChatResponse;
import dev.locallm.chat.FinishReason;
import dev.locallm.chat.GenerationOptions;
import dev.locallm.error.BackendUnavailableException;
import dev.locallm.error.GenerationCancelledException;
import dev.locallm.error.InvalidRequestException;
import dev.locallm.error.ModelLoadException;
import dev.locallm.llamacpp.LlamaCppOptions;
import dev.locallm.stream.ChatStream;
import dev.locallm.testkit.TestModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The ONNX backend on stories260K-onnx, against llama.cpp on the same weights. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class OnnxBackendTest {
    private static final Logger LOG = LoggerFactory.getLogger(OnnxBackendTest.class);
    private static final GenerationOptions GREEDY_32 = GenerationOptions.of(o -> o.temperature(0).maxTokens(32));

    private ChatModel onnx;

    static Path folder() {
        return TestModels.require(TestModels.STORIES_ONNX);
    }

    static ChatModel openOnnx(String query) {
        return LocalLm.builder().model("onnx:" + folder() + query)
                .backendOptions(OnnxOptions.builder().threads(1).parallel(2).build()).buildChatModel();
    }

    @BeforeAll
    void open() {
        onnx = openOnnx("");
    }

    @AfterAll
    void close() {
        if (onnx != null) {
            onnx.close();
        }
    }

    @Test
    void anEmptyPromptKeepsTheFirstTokensLeadingSpaceAsLlamaCppDoes() {
        try (ChatModel llama = LocalLm.builder().model(TestModels.require(TestModels.STORIES).toString())
                .backendOptions(LlamaCppOptions.builder().threads(1).build()).buildChatModel()) {
            GenerationOptions greedy = GenerationOptions.of(o -> o.temperature(0).maxTokens(8));
            assertThat(onnx.complete("", greedy).text()).isEqualTo(llama.complete("", greedy).text())
                    .startsWith(" ");
        }
    }

    @Test
    void closingWhileALongPromptIsTokenizedEndsInATypedErrorNotACrash() throws Exception {
        ChatModel model = openOnnx("");
        String huge = "Once upon a time there was a cat. ".repeat(60_000);
        var started = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return model.complete(huge, GREEDY_32);
            } catch (RuntimeException e) {
                return e;
            }
        });
        Thread.sleep(50);
        model.close();
        assertThat(started.get(60, TimeUnit.SECONDS)).isInstanceOfAny(GenerationCancelledException.class,
                dev.locallm.error.ContextLengthExceededException.class, IllegalStateException.class);
    }

    @Test
    void everyEndIdOfTheConfigsEndsTheTurn(@TempDir Path copy) throws IOException {
        try (Stream<Path> files = Files.list(folder())) {
            for (Path f : files.toList()) {
                Files.copy(f, copy.resolve(f.getFileName()));
            }
        }
        Files.writeString(copy.resolve("generation_config.json"), "{\"eos_token_id\": [2, 7]}");

        assertThat(ModelDirectory.read(copy).eos()).containsExactlyInAnyOrder(2, 7);
    }

    @Test
    void greedyCompletionGivesTheSameTokensAsLlamaCppOnTheSameWeights() {
        // given the same weights on llama.cpp
        try (ChatModel llama = LocalLm.builder().model(TestModels.require(TestModels.STORIES).toString())
                .backendOptions(LlamaCppOptions.builder().threads(1).build()).buildChatModel()) {
            // when
            ChatResponse reference = llama.complete("Once upon a time", GREEDY_32);
            ChatResponse response = onnx.complete("Once upon a time", GREEDY_32);
            // then
            assertThat(reference.usage().completionTokens()).isEqualTo(32);
            assertThat(response.text()).isEqualTo(reference.text())
                    .startsWith(", there was a little girl named Lily. She loved to play outside in the park.");
            assertThat(response.usage()).isEqualTo(reference.usage());
            assertThat(response.finishReason()).isEqualTo(FinishReason.LENGTH);
            LOG.info("tokens/s, greedy, 256 tokens: onnx {} llama.cpp {}", speed(onnx), speed(llama));
        }
    }

    @Test
    void aContextBeyondTheModelsPositionsGivesTheTokensLlamaCppGivesThere() {
        // given a prompt longer than the 512 positions of the model's RoPE tables, on both backends at ctx 1024
        String prompt = "Once upon a time, there was a little girl named Lily. She loved to play with her red ball in "
                + "the park. One day, her friend Tom came to play too. ";
        String longPrompt = prompt.repeat(12);
        GenerationOptions greedy = GenerationOptions.of(o -> o.temperature(0).maxTokens(32));
        try (ChatModel llama = LocalLm.builder().model(TestModels.require(TestModels.STORIES).toString())
                .backendOptions(LlamaCppOptions.builder().threads(1).contextSize(1024).build()).buildChatModel();
             ChatModel extended = openOnnx("?ctx=1024")) {
            // when
            ChatResponse reference = llama.complete(longPrompt, greedy);
            ChatResponse response = extended.complete(longPrompt, greedy);
            // then
            assertThat(extended.capabilities().contextLength()).isEqualTo(1024);
            assertThat(reference.usage().promptTokens()).isGreaterThan(512 + 32);
            assertThat(response.usage()).isEqualTo(reference.usage());
            assertThat(response.text()).isEqualTo(reference.text()).isNotBlank();
            // and below 512 positions the extended model is the model
            assertThat(extended.complete("Once upon a time", GREEDY_32).text())
                    .isEqualTo(onnx.complete("Once upon a time", GREEDY_32).text());
        }
    }

    @Test
    void aContextBeyondPositionsTheGraphCannotReachIsRefusedAtLoad() {
        // tiny-random-gpt2 has learned position embeddings for 512 positions, not RoPE tables
        Path gpt2 = TestModels.require(TestModels.TINY_GPT2_ONNX);
        assertThatThrownBy(() -> LocalLm.builder().model("onnx:" + gpt2 + "?ctx=600")
                .backendOptions(OnnxOptions.builder().threads(1).build()).buildChatModel())
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("cannot run at position 599")
                .hasMessageContaining("the model's is 512");
    }

    @Test
    void longerRopeTablesAreRefusedOffTheCpuWhereTheyAreUntried() {
        assertThatThrownBy(() -> LocalLm.chatModel("onnx:" + folder() + "?ctx=1024&device=cuda"))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("512 rows")
                .hasMessageContaining("device=cpu only");
    }

    private static String speed(ChatModel model) {
        GenerationOptions options = GenerationOptions.of(o -> o.temperature(0).maxTokens(256));
        model.complete("Once upon a time", options);
        long start = System.nanoTime();
        int tokens = 0;
        for (int i = 0; i < 5; i++) {
            tokens += model.complete("Once upon a time", options).usage().completionTokens();
        }
        return String.format(java.util.Locale.ROOT, "%.0f", tokens / ((System.nanoTime() - start) / 1e9));
    }

    @Test
    void streamedPiecesAddUpToTheResponseAndUsageCountsTokens() {
        // given
        List<String> pieces = new ArrayList<>();
        ChatResponse response;
        // when
        try (ChatStream stream = onnx.completeStream("Once upon a time", GREEDY_32)) {
            for (ChatChunk chunk : stream) {
                pieces.add(chunk.text());
            }
            response = stream.response();
        }
        // then: BOS and the 4 tokens of the prompt; 32 generated
        assertThat(String.join("", pieces)).isEqualTo(response.text()).isNotBlank();
        assertThat(pieces.size()).isGreaterThan(10);
        assertThat(response.usage().promptTokens()).isEqualTo(5);
        assertThat(response.usage().completionTokens()).isEqualTo(32);
        assertThat(response.usage().totalTokens()).isEqualTo(37);
    }

    @Test
    void aSeededSampledRunRepeatsAndAnotherSeedDiffers() {
        // given
        GenerationOptions seven = GenerationOptions.of(o -> o.temperature(0.8).seed(7).maxTokens(48));
        // when
        String first = onnx.complete("The little dog", seven).text();
        String again = onnx.complete("The little dog", seven).text();
        String other = onnx.complete("The little dog", seven.toBuilder().seed(8).build()).text();
        String greedy = onnx.complete("The little dog", seven.toBuilder().temperature(0).build()).text();
        // then
        assertThat(again).isEqualTo(first).isNotBlank();
        assertThat(other).isNotEqualTo(first);
        assertThat(greedy).isNotEqualTo(first);
    }

    @Test
    void stopSequencesCutTheCompletion() {
        ChatResponse cut = onnx.complete("Once upon a time", GREEDY_32.toBuilder().stop("Lily").build());
        assertThat(cut.text()).isEqualTo(", there was a little girl named ");
        assertThat(cut.finishReason()).isEqualTo(FinishReason.STOP);
    }

    @Test
    void closingAStreamMidGenerationCancelsItAndFreesItsSlot() {
        // given a generation that would run for 400 tokens
        ChatStream stream = onnx.completeStream("Once upon a time", GenerationOptions.of(o -> o.temperature(0)
                .maxTokens(400)));
        Iterator<ChatChunk> chunks = stream.iterator();
        int read = 0;
        while (read < 3 && chunks.hasNext()) {
            chunks.next();
            read++;
        }
        // when
        stream.close();
        // then
        assertThat(read).isEqualTo(3);
        assertThat(chunks.hasNext()).isFalse();
        assertThatThrownBy(stream::response).isInstanceOf(GenerationCancelledException.class);
        for (int i = 0; i < 3; i++) {
            assertThat(onnx.complete("Once upon a time", GREEDY_32).usage().completionTokens()).isEqualTo(32);
        }
    }

    @Test
    void chatWorksThroughTheChatMlFallbackTemplate() {
        ChatResponse r = onnx.chat(ChatRequest.builder().user("Tell me a story.")
                .options(o -> o.temperature(0).maxTokens(16)).build());
        assertThat(r.text()).isNotBlank();
        assertThat(r.usage().promptTokens()).isGreaterThan(10);
    }

    @Test
    void aMissingFolderIsAModelLoadErrorNamingIt(@TempDir Path tmp) {
        Path missing = tmp.resolve("no-such-model");
        assertThatThrownBy(() -> LocalLm.chatModel("onnx:" + missing)).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("no-such-model").hasMessageContaining("not found");
    }

    @Test
    void brokenFilesAreModelLoadErrorsNamingTheFile(@TempDir Path tmp) throws IOException {
        for (String file : List.of("genai_config.json", "config.json", "tokenizer_config.json", "tokenizer.json")) {
            // given a copy of the model with one file broken
            Path copy = copy(tmp.resolve(file + "-broken"));
            Files.writeString(copy.resolve(file), "{ \"model\": ");
            // when / then
            assertThatThrownBy(() -> LocalLm.chatModel("onnx:" + copy)).as(file)
                    .isInstanceOf(ModelLoadException.class).hasMessageContaining(file);
        }
        Path noTokenizer = copy(tmp.resolve("no-tokenizer"));
        Files.delete(noTokenizer.resolve("tokenizer.json"));
        assertThatThrownBy(() -> LocalLm.chatModel("onnx:" + noTokenizer)).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("tokenizer.json not found");
        Path wrongDecoder = copy(tmp.resolve("wrong-decoder"));
        Files.writeString(wrongDecoder.resolve("genai_config.json"), Files.readString(wrongDecoder
                .resolve("genai_config.json")).replace("\"model.onnx\"", "\"decoder.onnx\""));
        assertThatThrownBy(() -> LocalLm.chatModel("onnx:" + wrongDecoder)).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("decoder.onnx");
        Path notOnnx = copy(tmp.resolve("not-onnx"));
        Files.writeString(notOnnx.resolve("model.onnx"), "not a protobuf");
        assertThatThrownBy(() -> LocalLm.chatModel("onnx:" + notOnnx)).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("model.onnx");
    }

    @Test
    void cudaWithoutTheGpuBuildSaysWhatToAdd() {
        assertThatThrownBy(() -> LocalLm.chatModel("onnx:" + folder() + "?device=cuda"))
                .isInstanceOf(BackendUnavailableException.class).hasMessageContaining("onnxruntime_gpu");
        assertThatThrownBy(() -> LocalLm.chatModel("onnx:" + folder() + "?device=tpu"))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("device");
    }

    private static Path copy(Path target) throws IOException {
        Files.createDirectories(target);
        try (Stream<Path> files = Files.list(folder())) {
            for (Path f : files.toList()) {
                Path to = target.resolve(f.getFileName());
                Files.copy(f, to);
                to.toFile().setWritable(true);
            }
        }
        return target;
    }
}
