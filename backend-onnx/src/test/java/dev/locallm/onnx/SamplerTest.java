package dev.locallm.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The sampler's ranking of candidates, against a plain sort. */
class SamplerTest {

    @Test
    void rankedIsTheSortedOrderHighestFirstLowerIdFirstAmongEquals() {
        SplittableRandom random = new SplittableRandom(3);
        for (int round = 0; round < 50; round++) {
            float[] logits = new float[1 + random.nextInt(2000)];
            for (int i = 0; i < logits.length; i++) {
                logits[i] = random.nextInt(4) == 0 ? 1.5f : (float) (random.nextGaussian() * 4);
            }
            int[] expected = IntStream.range(0, logits.length).boxed()
                    .sorted(Comparator.<Integer>comparingDouble(i -> -logits[i]).thenComparingInt(i -> i))
                    .mapToInt(Integer::intValue).toArray();
            int k = random.nextInt(logits.length + 5);

            int[] ranked = Sampler.ranked(logits, k);

            int size = k > 0 && k < logits.length ? k : logits.length;
            assertThat(ranked).containsExactly(java.util.Arrays.copyOf(expected, size));
        }
    }
}
