package dev.locallm.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.locallm.error.ModelLoadException;
import dev.locallm.testkit.TestModels;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** RoPE tables read out of a decoder file, fitted and extended. */
class RopeTablesTest {
    private static final Path FILE = Path.of("model.onnx");
    private static final int ROWS = 64;
    private static final int COLUMNS = 4;

    /** A table pair whose column c turns by {@code frequency(c)} a row, scaled by {@code scale}. */
    private static OnnxInitializers.FloatTensor[] tables(double scale, int switchAt) {
        float[] cos = new float[ROWS * COLUMNS];
        float[] sin = new float[ROWS * COLUMNS];
        for (int p = 0; p < ROWS; p++) {
            for (int c = 0; c < COLUMNS; c++) {
                double phase = p * frequency(c) * (p >= switchAt ? 0.5 : 1);
                cos[p * COLUMNS + c] = (float) (scale * Math.cos(phase));
                sin[p * COLUMNS + c] = (float) (scale * Math.sin(phase));
            }
        }
        long[] shape = {ROWS, COLUMNS};
        return new OnnxInitializers.FloatTensor[] {new OnnxInitializers.FloatTensor(shape, cos, false),
                new OnnxInitializers.FloatTensor(shape, sin, false)};
    }

    private static double frequency(int column) {
        return Math.pow(10000, -2.0 * column / (2 * COLUMNS)) / 1.7;
    }

    @Test
    void rowsPastTheTableTurnOnAtEachColumnsFrequencyAndScaleAndTheModelsRowsStayAsTheyAre() {
        // given
        OnnxInitializers.FloatTensor[] given = tables(1.25, Integer.MAX_VALUE);
        // when
        List<RopeTables.Table> extended = RopeTables.of(FILE, "cos_cache", given[0], "sin_cache", given[1])
                .extendedTo(3 * ROWS);
        // then
        RopeTables.Table cos = extended.get(0);
        RopeTables.Table sin = extended.get(1);
        assertThat(cos.name()).isEqualTo("cos_cache");
        assertThat(sin.name()).isEqualTo("sin_cache");
        assertThat(cos.shape()).containsExactly(3 * ROWS, COLUMNS);
        assertThat(java.util.Arrays.copyOf(cos.values(), ROWS * COLUMNS)).containsExactly(given[0].values());
        for (int p = ROWS; p < 3 * ROWS; p++) {
            for (int c = 0; c < COLUMNS; c++) {
                assertThat(cos.values()[p * COLUMNS + c]).isCloseTo((float) (1.25 * Math.cos(p * frequency(c))),
                        within(1e-5f));
                assertThat(sin.values()[p * COLUMNS + c]).isCloseTo((float) (1.25 * Math.sin(p * frequency(c))),
                        within(1e-5f));
            }
        }
    }

    @Test
    void longFloat16TablesAreExtendedDespiteTheirRounding() {
        // given 16,384 rows rounded to float16, as onnxruntime-genai writes the tables of float16 models
        int rows = 16_384;
        int columns = 32;
        float[] cos = new float[rows * columns];
        float[] sin = new float[rows * columns];
        for (int p = 0; p < rows; p++) {
            for (int c = 0; c < columns; c++) {
                double phase = p * Math.pow(500_000, -c / (double) columns);
                cos[p * columns + c] = half((float) Math.cos(phase));
                sin[p * columns + c] = half((float) Math.sin(phase));
            }
        }
        long[] shape = {rows, columns};
        // when
        List<RopeTables.Table> extended = RopeTables.of(FILE, "cos_cache", new OnnxInitializers.FloatTensor(shape,
                cos, true), "sin_cache", new OnnxInitializers.FloatTensor(shape, sin, true)).extendedTo(rows + 100);
        // then
        assertThat(extended.get(0).half()).isTrue();
        int p = rows + 99;
        for (int c = 0; c < columns; c++) {
            double phase = p * Math.pow(500_000, -c / (double) columns);
            assertThat(extended.get(0).values()[p * columns + c]).isCloseTo((float) Math.cos(phase), within(2e-3f));
            assertThat(extended.get(1).values()[p * columns + c]).isCloseTo((float) Math.sin(phase), within(2e-3f));
        }
    }

    private static float half(float value) {
        return ai.onnxruntime.platform.Fp16Conversions.fp16ToFloat(
                ai.onnxruntime.platform.Fp16Conversions.floatToFp16(value));
    }

    @Test
    void tablesWhoseFrequencyChangesWithThePositionAreRefused() {
        OnnxInitializers.FloatTensor[] given = tables(1, ROWS / 2);

        assertThatThrownBy(() -> RopeTables.of(FILE, "cos_cache", given[0], "sin_cache", given[1]).extendedTo(2 * ROWS))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("do not follow one frequency per column")
                .hasMessageContaining("at most 64");
    }

    @Test
    void tablesOfDifferentShapesAreRefused() {
        OnnxInitializers.FloatTensor[] given = tables(1, Integer.MAX_VALUE);
        var shorter = new OnnxInitializers.FloatTensor(new long[] {ROWS / 2, COLUMNS},
                java.util.Arrays.copyOf(given[1].values(), ROWS / 2 * COLUMNS), false);

        assertThatThrownBy(() -> RopeTables.of(FILE, "rope_cos", given[0], "rope_sin", shorter))
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("[64, 4] float32 and [32, 4] float32");
    }

    @Test
    void theTablesOfTheSharedModelAreReadFromItsOnnxFile() {
        Path decoder = TestModels.require(TestModels.STORIES_ONNX).resolve("model.onnx");

        var tensors = OnnxInitializers.read(decoder, java.util.Set.of("rope_cos", "rope_sin", "no_such_tensor"));

        assertThat(tensors).containsOnlyKeys("rope_cos", "rope_sin");
        assertThat(tensors.get("rope_cos").dims()).containsExactly(512, 4);
        assertThat(tensors.get("rope_cos").values()[0]).isEqualTo(1f);
        assertThat(tensors.get("rope_sin").values()[0]).isEqualTo(0f);
        assertThat(RopeTables.find(decoder)).get().extracting(RopeTables::rows).isEqualTo(512);
    }

    @Test
    void aFileThatIsNotAnOnnxModelIsAModelLoadError(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path junk = java.nio.file.Files.write(dir.resolve("model.onnx"), new byte[] {(byte) 0xff, (byte) 0xff, 0x01});

        assertThatThrownBy(() -> RopeTables.find(junk)).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("as an ONNX model");
    }
}
