package dev.locallm.onnx;

import dev.locallm.engine.grammar.Grammar;
import dev.locallm.engine.grammar.GrammarState;
import java.util.Arrays;
import java.util.Set;
import java.util.function.IntFunction;

/**
 * One generation's token mask from a grammar: before each sampling {@link #apply} sets to negative infinity every
 * token whose text cannot continue the grammar's state, and the end-of-turn tokens unless the text so far is a
 * whole match; once nothing more can follow, only end-of-turn is left. {@link #accept} advances the state by the
 * sampled token's text. The time both take is summed for {@link #meanMicrosPerToken()}. Not thread-safe: one per
 * generation.
 */
final class GrammarMask {
    private final IntFunction<TokenTrie> tries;
    private final int[] endOfTurn;
    private GrammarState state;
    private TokenTrie trie;
    private boolean[] allowed;
    private long nanos;
    private int tokens;

    /**
     * @param tries     the vocabulary's trie for a logits length (built once per model, on first use)
     * @param endOfTurn the ids that end the turn
     */
    GrammarMask(Grammar grammar, IntFunction<TokenTrie> tries, Set<Integer> endOfTurn) {
        this.state = grammar.start();
        this.tries = tries;
        this.endOfTurn = endOfTurn.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * Masks {@code logits}.
     *
     * @return how many tokens are left; 0 when the vocabulary has no token the grammar allows here
     */
    int apply(float[] logits) {
        long start = System.nanoTime();
        if (trie == null || trie.vocabularySize() != logits.length) {
            trie = tries.apply(logits.length);
            allowed = new boolean[logits.length];
        } else {
            Arrays.fill(allowed, false);
        }
        int left = state.isFinished() ? 0 : trie.allow(state, allowed);
        if (state.isComplete()) {
            for (int id : endOfTurn) {
                if (id >= 0 && id < allowed.length && !allowed[id]) {
                    allowed[id] = true;
                    left++;
                }
            }
        }
        for (int id = 0; id < logits.length; id++) {
            if (!allowed[id]) {
                logits[id] = Float.NEGATIVE_INFINITY;
            }
        }
        nanos += System.nanoTime() - start;
        return left;
    }

    /** Advances the state by the text of {@code token}, which {@link #apply} allowed. */
    void accept(int token) {
        long start = System.nanoTime();
        tokens++;
        String text = trie.text(token);
        if (text != null) {
            state = state.advance(text).orElseThrow(() -> new IllegalStateException(
                    "token " + token + " does not continue the grammar"));
        }
        nanos += System.nanoTime() - start;
    }

    /** Whether the text so far is a whole match of the grammar. */
    boolean isComplete() {
        return state.isComplete();
    }

    /** Mean time of {@link #apply} and {@link #accept} per sampled token, in microseconds; 0 before any. */
    double meanMicrosPerToken() {
        return tokens == 0 ? 0 : nanos / 1000.0 / tokens;
    }
}
