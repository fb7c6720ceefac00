package dev.locallm.engine.grammar;

import static org.assertj.core.api.Assertions.assertThat;

import dev.locallm.schema.JsonSchema;
import java.util.List;
import java.util.SplittableRandom;

/** Generates random sentences of a grammar, for property tests. */
final class GrammarSampler {
    private static final int[] ALPHABET = " abcxyzAZ019-_.:/\"\\éß€\n\t{}[],".codePoints().toArray();

    private GrammarSampler() {
    }

    /** Checks that {@code count} random sentences of the grammar validate against the schema it was compiled from. */
    static void assertSamplesValidate(Grammar grammar, JsonSchema schema, int count) {
        SplittableRandom random = new SplittableRandom(schema.toJson().hashCode());
        for (int i = 0; i < count; i++) {
            String sample = sample(grammar, random, 120);
            assertThat(schema.validate(sample)).as("sample %s of %s", sample, schema.toJson()).isEmpty();
        }
    }

    /** A random complete sentence: random steps for up to {@code budget} characters, then the shortest ending. */
    static String sample(Grammar grammar, SplittableRandom random, int budget) {
        GrammarState state = grammar.start();
        StringBuilder out = new StringBuilder();
        while (out.length() < budget) {
            if (state.isFinished() || (state.isComplete() && random.nextInt(4) == 0)) {
                return out.toString();
            }
            List<CharClass> classes = state.nextClasses();
            CharClass chosen = classes.get(random.nextInt(classes.size()));
            int cp = pick(chosen, random);
            if (cp < 0 || !state.allows(cp)) {
                break;
            }
            out.appendCodePoint(cp);
            state = state.advance(cp);
        }
        return out + state.shortestCompletion();
    }

    private static int pick(CharClass c, SplittableRandom random) {
        if (c.negated()) {
            for (int attempt = 0; attempt < 8; attempt++) {
                int cp = ALPHABET[random.nextInt(ALPHABET.length)];
                if (c.matches(cp)) {
                    return cp;
                }
            }
            return c.sample();
        }
        int[] r = c.ranges();
        int i = random.nextInt(r.length / 2) * 2;
        return r[i] + random.nextInt(r[i + 1] - r[i] + 1);
    }
}
