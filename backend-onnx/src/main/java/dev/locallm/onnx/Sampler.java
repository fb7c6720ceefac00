package dev.locallm.onnx;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from logits, with the meaning llama.cpp gives its settings and in its order: repeat penalty
 * over the last {@value #PENALTY_WINDOW} tokens, top-k, top-p, min-p, then temperature; temperature 0 (or less) is
 * greedy, the lowest id winning ties. A logit of negative infinity (a token a grammar masks) is never picked
 * while another is finite. The random stream comes from the seed alone, so a seed repeats a run on this
 * backend; it is not llama.cpp's random stream, so sampled (not greedy) texts differ between the backends. Not
 * thread-safe: one per generation.
 */
final class Sampler {
    static final int PENALTY_WINDOW = 64;

    private final double temperature;
    private final int topK;
    private final double topP;
    private final double minP;
    private final double repeatPenalty;
    private final SplittableRandom random;
    private final int[] recent = new int[PENALTY_WINDOW];
    private int recentCount;

    Sampler(double temperature, int topK, double topP, double minP, double repeatPenalty, long seed) {
        this.temperature = temperature;
        this.topK = topK;
        this.topP = topP;
        this.minP = minP;
        this.repeatPenalty = repeatPenalty;
        this.random = new SplittableRandom(seed);
    }

    /** Remembers a token for the repeat penalty (prompt and generated tokens alike). */
    void accept(int token) {
        recent[recentCount % PENALTY_WINDOW] = token;
        recentCount++;
    }

    /** The next token; {@code logits} may be changed. */
    int sample(float[] logits) {
        penalize(logits);
        if (temperature <= 0) {
            return argmax(logits);
        }
        int[] order = ranked(logits, topK);
        int keep = order.length;
        while (keep > 1 && logits[order[keep - 1]] == Float.NEGATIVE_INFINITY) {
            keep--;
        }
        double max = logits[order[0]];
        double[] p = new double[keep];
        double sum = 0;
        for (int i = 0; i < keep; i++) {
            p[i] = Math.exp(logits[order[i]] - max);
            sum += p[i];
        }
        if (topP < 1.0) {
            double cumulative = 0;
            for (int i = 0; i < keep; i++) {
                cumulative += p[i] / sum;
                if (cumulative >= topP) {
                    keep = i + 1;
                    break;
                }
            }
        }
        if (minP > 0) {
            int k = 1;
            while (k < keep && p[k] >= minP * p[0]) {
                k++;
            }
            keep = k;
        }
        double[] weights = new double[keep];
        double total = 0;
        for (int i = 0; i < keep; i++) {
            weights[i] = Math.exp((logits[order[i]] - max) / temperature);
            total += weights[i];
        }
        double r = random.nextDouble() * total;
        for (int i = 0; i < keep; i++) {
            r -= weights[i];
            if (r < 0) {
                return order[i];
            }
        }
        return order[keep - 1];
    }

    private void penalize(float[] logits) {
        if (repeatPenalty == 1.0 || recentCount == 0) {
            return;
        }
        int n = Math.min(recentCount, PENALTY_WINDOW);
        boolean[] seen = new boolean[logits.length];
        for (int i = 0; i < n; i++) {
            int token = recent[i];
            if (token >= 0 && token < logits.length && !seen[token]) {
                seen[token] = true;
                logits[token] = logits[token] > 0 ? (float) (logits[token] / repeatPenalty)
                        : (float) (logits[token] * repeatPenalty);
            }
        }
    }

    /**
     * The ids of the {@code k} highest logits (all of them when {@code k} is 0 or more than there are), highest
     * first, the lower id first among equals: a bounded heap for top-k, one primitive sort otherwise.
     */
    static int[] ranked(float[] logits, int k) {
        int n = logits.length;
        int size = k > 0 && k < n ? k : n;
        long[] keys = new long[size];
        if (size == n) {
            for (int i = 0; i < n; i++) {
                keys[i] = key(logits[i], i);
            }
        } else {
            for (int i = 0; i < size; i++) {
                keys[i] = key(logits[i], i);
                siftUp(keys, i);
            }
            float lowest = logit(keys[0]);
            for (int i = size; i < n; i++) {
                if (!(logits[i] < lowest)) {
                    long key = key(logits[i], i);
                    if (key > keys[0]) {
                        keys[0] = key;
                        siftDown(keys, size);
                        lowest = logit(keys[0]);
                    }
                }
            }
        }
        Arrays.sort(keys);
        int[] ids = new int[size];
        for (int j = 0; j < size; j++) {
            ids[j] = Integer.MAX_VALUE - (int) keys[size - 1 - j];
        }
        return ids;
    }

    /** A key that orders as the logit, then the lower id first: the float's bits made to sort as signed ints. */
    private static long key(float logit, int id) {
        int bits = Float.floatToIntBits(logit);
        bits ^= (bits >> 31) & 0x7FFFFFFF;
        return ((long) bits << 32) | (Integer.MAX_VALUE - id);
    }

    /** The logit of a {@link #key}. */
    private static float logit(long key) {
        int bits = (int) (key >> 32);
        bits ^= (bits >> 31) & 0x7FFFFFFF;
        return Float.intBitsToFloat(bits);
    }

    private static void siftUp(long[] heap, int i) {
        while (i > 0 && heap[(i - 1) / 2] > heap[i]) {
            swap(heap, i, (i - 1) / 2);
            i = (i - 1) / 2;
        }
    }

    private static void siftDown(long[] heap, int size) {
        int i = 0;
        while (2 * i + 1 < size) {
            int child = 2 * i + 2 < size && heap[2 * i + 2] < heap[2 * i + 1] ? 2 * i + 2 : 2 * i + 1;
            if (heap[i] <= heap[child]) {
                return;
            }
            swap(heap, i, child);
            i = child;
        }
    }

    private static void swap(long[] heap, int a, int b) {
        long t = heap[a];
        heap[a] = heap[b];
        heap[b] = t;
    }

    static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }
}
