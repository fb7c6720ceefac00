package dev.locallm.bench;

/**
 * One measured generation.
 *
 * @param ttftMillis      from the call to the first token (prompt processing included)
 * @param tokensPerSecond tokens after the first, per second
 * @param tokens          tokens generated
 */
record DecodeRun(double ttftMillis, double tokensPerSecond, int tokens) {

    static double median(double[] values) {
        double[] sorted = values.clone();
        java.util.Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
