package dev.locallm.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import dev.locallm.EmbeddingModel;
import dev.locallm.LocalLm;
import dev.locallm.error.ModelLoadException;
import dev.locallm.testkit.TestModels;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Embeddings from an encoder folder: all-MiniLM-L6-v2 (quantized), the ONNX file and tokenizer.json LangChain4j's
 * jar ships, laid out as a model folder. Compared with LangChain4j's own embedding of the same model (a third-party
 * implementation over the same ONNX Runtime): the vectors must point the same way.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class OnnxEmbeddingTest {
    @TempDir
    static Path folder;

    private EmbeddingModel model;
    private AllMiniLmL6V2QuantizedEmbeddingModel reference;

    @BeforeAll
    void open() throws IOException {
        copy("/all-minilm-l6-v2-q.onnx", folder.resolve("model.onnx"));
        copy("/all-minilm-l6-v2-q-tokenizer.json", folder.resolve("tokenizer.json"));
        model = LocalLm.embeddingModel("onnx:" + folder + "?threads=1");
        reference = new AllMiniLmL6V2QuantizedEmbeddingModel();
    }

    @AfterAll
    void close() {
        if (model != null) {
            model.close();
        }
    }

    private static void copy(String resource, Path target) throws IOException {
        try (InputStream in = OnnxEmbeddingTest.class.getResourceAsStream(resource)) {
            assertThat(in).as(resource).isNotNull();
            Files.copy(in, target);
        }
    }

    private static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }

    @Test
    void vectorsAreNormalisedAndPointWhereLangChain4jsDo() {
        assertThat(model.dimension()).isEqualTo(384);
        for (String text : List.of("A cat sits on the mat.", "Java runs large language models in-process.",
                "Ünïcödé and emoji 🚀 too")) {
            float[] ours = model.embed(text);
            float[] theirs = reference.embed(text).content().vector();
            assertThat(ours).hasSize(384);
            assertThat(cosine(ours, ours)).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
            assertThat(cosine(ours, theirs)).as(text).isGreaterThan(0.9999);
        }
    }

    @Test
    void similarTextsAreCloserThanUnrelatedOnes() {
        float[] cat = model.embed("A cat sits on the mat.");
        float[] kitten = model.embed("A kitten is sitting on a rug.");
        float[] market = model.embed("The stock market fell sharply today.");
        assertThat(cosine(cat, kitten)).isGreaterThan(cosine(cat, market) + 0.2);
    }

    /**
     * A text past the window (128 tokens, from this tokenizer.json's truncation) is embedded in windows whose
     * vectors are averaged by their token counts: half about cats and half about markets, it lies between both.
     * LangChain4j's embedding of the same text reads only its first 128 tokens (the tokenizer truncates), so it
     * sees the cats alone.
     */
    @Test
    void aTextLongerThanTheWindowIsSplitAndAveraged() {
        String cats = "A cat sits on the mat and purrs while the kitten plays with a ball of wool. ";
        String markets = "The stock market fell sharply today as investors sold shares of banks. ";
        String both = cats.repeat(12) + markets.repeat(12);
        float[] ours = model.embed(both);
        float[] theirs = reference.embed(both).content().vector();
        double oursToCats = cosine(ours, model.embed(cats));
        double oursToMarkets = cosine(ours, model.embed(markets));
        double theirsToMarkets = cosine(theirs, model.embed(markets));
        assertThat(oursToCats).isGreaterThan(0.45);
        assertThat(oursToMarkets).isGreaterThan(0.45);
        assertThat(theirsToMarkets).as("LangChain4j's, first 128 tokens only").isLessThan(oursToMarkets - 0.2);
        assertThat(cosine(model.embed(cats.repeat(12)), model.embed(cats))).isGreaterThan(0.8);
    }

    @Test
    void foldersThatHoldNoEncoderAreRefusedByName() {
        Path decoder = TestModels.require(TestModels.STORIES_ONNX);
        assertThatThrownBy(() -> LocalLm.embeddingModel("onnx:" + decoder))
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("holds a decoder");
        assertThatThrownBy(() -> LocalLm.embeddingModel("onnx:" + folder.resolve("missing")))
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("not found");
    }
}
