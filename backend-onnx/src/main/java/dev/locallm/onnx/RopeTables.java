package dev.locallm.onnx;

import dev.locallm.error.ModelLoadException;
import java.nio.file.Path;
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
 * {@code θ} and the scale {@code a} of each column are read off the table itself (its second and last rows), then
 * every row is checked against them, so frequency scalings applied at export (linear, Llama 3, YaRN's, a scale
 * factor) carry over; tables that do not follow one frequency per column (scaling switched by position) are refused.
 * Immutable.
 */
final class RopeTables {
    private static final List<List<String>> NAMES = List.of(List.of("cos_cache", "sin_cache"),
            List.of("rope_cos", "rope_sin"));
    private static final double TOLERANCE = 2e-3;

    private final String cosName;
    private final String sinName;
    private final int rows;
    private final boolean half;
    private final float[] cos;
    private final float[] sin;
    private final double[] frequency;
    private final double[] scale;

    private RopeTables(String cosName, String sinName, OnnxInitializers.FloatTensor cos,
                       OnnxInitializers.FloatTensor sin, double[] frequency, double[] scale) {
        this.cosName = cosName;
        this.sinName = sinName;
        this.rows = Math.toIntExact(cos.dims()[0]);
        this.half = cos.half() || sin.half();
        this.cos = cos.values();
        this.sin = sin.values();
        this.frequency = frequency;
        this.scale = scale;
    }

    /** A table as extended: its initializer's name, shape, values and whether it is float16. */
    record Table(String name, long[] shape, float[] values, boolean half) {
    }

    /**
     * The tables of a decoder file, when it has a pair under a known name.
     *
     * @throws ModelLoadException when the pair's shapes differ or its columns are not rotations
     */
    static Optional<RopeTables> find(Path decoder) {
        Set<String> wanted = Set.of("cos_cache", "sin_cache", "rope_cos", "rope_sin");
        Map<String, OnnxInitializers.FloatTensor> found = OnnxInitializers.read(decoder, wanted);
        for (List<String> pair : NAMES) {
            OnnxInitializers.FloatTensor cos = found.get(pair.get(0));
            OnnxInitializers.FloatTensor sin = found.get(pair.get(1));
            if (cos != null && sin != null) {
                return Optional.of(fit(decoder, pair.get(0), cos, pair.get(1), sin));
            }
        }
        return Optional.empty();
    }

    static RopeTables fit(Path decoder, String cosName, OnnxInitializers.FloatTensor cos, String sinName,
                                  OnnxInitializers.FloatTensor sin) {
        long[] shape = cos.dims();
        if (shape.length != 2 || !java.util.Arrays.equals(shape, sin.dims()) || shape[0] < 2 || shape[1] < 1) {
            throw new ModelLoadException(decoder + ": the RoPE tables '" + cosName + "' and '" + sinName
                    + "' have shapes " + java.util.Arrays.toString(shape) + " and "
                    + java.util.Arrays.toString(sin.dims()) + "; expected the same [positions, columns]");
        }
        int rows = Math.toIntExact(shape[0]);
        int columns = Math.toIntExact(shape[1]);
        double[] frequency = new double[columns];
        double[] scale = new double[columns];
        int last = rows - 1;
        for (int c = 0; c < columns; c++) {
            double first = Math.atan2(sin.values()[columns + c], cos.values()[columns + c]);
            double end = Math.atan2(sin.values()[last * columns + c], cos.values()[last * columns + c]);
            double turns = Math.rint((first * last - end) / (2 * Math.PI));
            frequency[c] = (end + 2 * Math.PI * turns) / last;
            scale[c] = Math.hypot(cos.values()[c], sin.values()[c]);
        }
        for (int p = 0; p < rows; p++) {
            for (int c = 0; c < columns; c++) {
                double phase = p * frequency[c];
                double tolerance = TOLERANCE + 2.4e-7 * Math.abs(phase);
                if (Math.abs(scale[c] * Math.cos(phase) - cos.values()[p * columns + c]) > tolerance
                        || Math.abs(scale[c] * Math.sin(phase) - sin.values()[p * columns + c]) > tolerance) {
                    throw new ModelLoadException(decoder + ": the RoPE tables '" + cosName + "' and '" + sinName
                            + "' do not follow one frequency per column (row " + p + ", column " + c
                            + "), so they cannot be extended to a longer context; use a context of at most " + rows);
                }
            }
        }
        return new RopeTables(cosName, sinName, cos, sin, frequency, scale);
    }

    /** Positions the tables hold. */
    int rows() {
        return rows;
    }

    /** Both tables with {@code positions} rows: the model's rows as they are, then the rows computed past them. */
    List<Table> extendedTo(int positions) {
        int columns = frequency.length;
        float[] cos = java.util.Arrays.copyOf(this.cos, positions * columns);
        float[] sin = java.util.Arrays.copyOf(this.sin, positions * columns);
        for (int p = rows; p < positions; p++) {
            for (int c = 0; c < columns; c++) {
                double phase = p * frequency[c];
                cos[p * columns + c] = (float) (scale[c] * Math.cos(phase));
                sin[p * columns + c] = (float) (scale[c] * Math.sin(phase));
            }
        }
        long[] shape = {positions, columns};
        return List.of(new Table(cosName, shape, cos, half), new Table(sinName, shape, sin, half));
    }
}
