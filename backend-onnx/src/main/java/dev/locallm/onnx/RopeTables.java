package dev.locallm.onnx;

import dev.locallm.error.ModelLoadException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The rotary-position tables some decoder exports bake into their graph as initializers, one row a position
 * (onnxruntime-genai's model builder: {@code cos_cache}/{@code sin_cache}; others: {@code rope_cos}/{@code rope_sin}),
 * and their extension to more positions, for a context longer than the table: what llama.cpp does when it is asked
 * for more context than the model was trained on, as it computes the rotation for any position.
 *
 * <p>Every column of such tables is {@code a·cos(p·θ)} and {@code a·sin(p·θ)} for row {@code p}: the frequency
 * {@code θ} and the scale {@code a} of each column are read off the table itself (its phase unwrapped row by row),
 * then every row is checked against them, so frequency scalings applied at export (linear, Llama 3, YaRN's, a scale
 * factor) carry over; tables that do not follow one frequency per column (scaling switched by position) are refused.
 * Immutable.
 */
final class RopeTables {
    private static final List<List<String>> NAMES = List.of(List.of("cos_cache", "sin_cache"),
            List.of("rope_cos", "rope_sin"));
    private static final double TOLERANCE = 2e-3;

    private final Path decoder;
    private final String cosName;
    private final String sinName;
    private final int rows;
    private final int columns;
    private final boolean half;
    private final float[] cos;
    private final float[] sin;

    private RopeTables(Path decoder, String cosName, String sinName, OnnxInitializers.FloatTensor cos,
                       OnnxInitializers.FloatTensor sin) {
        this.decoder = decoder;
        this.cosName = cosName;
        this.sinName = sinName;
        this.rows = Math.toIntExact(cos.dims()[0]);
        this.columns = Math.toIntExact(cos.dims()[1]);
        this.half = cos.half();
        this.cos = cos.values();
        this.sin = sin.values();
    }

    /** A table as extended: its initializer's name, shape, values and whether it is float16. */
    record Table(String name, long[] shape, float[] values, boolean half) {
    }

    /**
     * The tables of a decoder file, when it has a pair under a known name.
     *
     * @throws ModelLoadException when the file cannot be read, or the pair's shapes or types differ
     */
    static Optional<RopeTables> find(Path decoder) {
        Set<String> wanted = Set.of("cos_cache", "sin_cache", "rope_cos", "rope_sin");
        Map<String, OnnxInitializers.FloatTensor> found = OnnxInitializers.read(decoder, wanted);
        for (List<String> pair : NAMES) {
            OnnxInitializers.FloatTensor cos = found.get(pair.get(0));
            OnnxInitializers.FloatTensor sin = found.get(pair.get(1));
            if (cos != null && sin != null) {
                return Optional.of(of(decoder, pair.get(0), cos, pair.get(1), sin));
            }
        }
        return Optional.empty();
    }

    /**
     * A pair of tables.
     *
     * @throws ModelLoadException when their shapes or types differ, or they are not {@code [positions, columns]}
     */
    static RopeTables of(Path decoder, String cosName, OnnxInitializers.FloatTensor cos, String sinName,
                         OnnxInitializers.FloatTensor sin) {
        long[] shape = cos.dims();
        if (shape.length != 2 || !Arrays.equals(shape, sin.dims()) || shape[0] < 2 || shape[1] < 1
                || cos.half() != sin.half()) {
            throw new ModelLoadException(decoder + ": the RoPE tables '" + cosName + "' and '" + sinName
                    + "' are " + describe(cos) + " and " + describe(sin) + "; expected the same [positions, columns] "
                    + "of one type");
        }
        return new RopeTables(decoder, cosName, sinName, cos, sin);
    }

    private static String describe(OnnxInitializers.FloatTensor t) {
        return Arrays.toString(t.dims()) + (t.half() ? " float16" : " float32");
    }

    /** Positions the tables hold. */
    int rows() {
        return rows;
    }

    /**
     * Both tables with {@code positions} rows: the model's rows as they are, then rows computed past them from each
     * column's frequency and scale, read off the table (its phase unwrapped row by row, so rounding never adds up to
     * a wrong turn) and checked against every row.
     *
     * @throws ModelLoadException when a column does not follow one frequency (a scaling switched by position)
     */
    List<Table> extendedTo(int positions) {
        double[] frequency = new double[columns];
        double[] scale = new double[columns];
        int last = rows - 1;
        for (int c = 0; c < columns; c++) {
            double unwrapped = 0;
            double previous = 0;
            for (int p = 1; p < rows; p++) {
                double phase = Math.atan2(sin[p * columns + c], cos[p * columns + c]);
                double step = phase - previous;
                unwrapped += step - 2 * Math.PI * Math.rint(step / (2 * Math.PI));
                previous = phase;
            }
            frequency[c] = unwrapped / last;
            scale[c] = Math.hypot(cos[c], sin[c]);
        }
        for (int p = 0; p < rows; p++) {
            for (int c = 0; c < columns; c++) {
                double phase = p * frequency[c];
                double tolerance = TOLERANCE + 2.4e-7 * Math.abs(phase);
                if (Math.abs(scale[c] * Math.cos(phase) - cos[p * columns + c]) > tolerance
                        || Math.abs(scale[c] * Math.sin(phase) - sin[p * columns + c]) > tolerance) {
                    throw new ModelLoadException(decoder + ": the RoPE tables '" + cosName + "' and '" + sinName
                            + "' do not follow one frequency per column (row " + p + ", column " + c
                            + "), so they cannot be extended to a longer context; use a context of at most " + rows);
                }
            }
        }
        float[] longCos = Arrays.copyOf(cos, positions * columns);
        float[] longSin = Arrays.copyOf(sin, positions * columns);
        for (int p = rows; p < positions; p++) {
            for (int c = 0; c < columns; c++) {
                double phase = p * frequency[c];
                longCos[p * columns + c] = (float) (scale[c] * Math.cos(phase));
                longSin[p * columns + c] = (float) (scale[c] * Math.sin(phase));
            }
        }
        long[] shape = {positions, columns};
        return List.of(new Table(cosName, shape, longCos, half), new Table(sinName, shape, longSin, half));
    }
}
