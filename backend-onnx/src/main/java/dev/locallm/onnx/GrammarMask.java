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
 *
 * <p>A mask {@link #fromOpening from an opening} (tool calls under {@code tool_choice} auto, as llama.cpp's lazy
 * grammars) masks nothing until the output holds the opening as text; from there the grammar applies to the output
 * from the opening on. Tokens without text of their own (special tokens, bytes of a character) count as a character
 * no opening holds. The mask turns off for the rest of the turn, leaving the output to the parser and validation as
 * without it, when the text the opening's token brought with it does not follow the grammar, or when no token of
 * the vocabulary continues the grammar where the text is not a whole match (an auto request never fails for the
 * mask).
 */
final class GrammarMask {
    private final Grammar grammar;
    private final IntFunction<TokenTrie> tries;
    private final int[] endOfTurn;
    /** The opening that starts the grammar, or {@code null} when it applies from the first token. */
    private final String opening;
    private final boolean openingAnywhere;
    /** The output while waiting for the opening: all of it, or its last characters that may start one. */
    private final StringBuilder waited = new StringBuilder();
    /** The grammar's state; {@code null} before the opening, or when the output left the grammar at it. */
    private GrammarState state;
    private boolean waiting;
    private TokenTrie trie;
    private boolean[] allowed;
    private long nanos;
    private int tokens;

    private GrammarMask(Grammar grammar, String opening, boolean openingAnywhere, IntFunction<TokenTrie> tries,
                        Set<Integer> endOfTurn) {
        this.grammar = grammar;
        this.opening = opening;
        this.openingAnywhere = openingAnywhere;
        this.tries = tries;
        this.endOfTurn = endOfTurn.stream().mapToInt(Integer::intValue).toArray();
        this.waiting = opening != null;
        this.state = waiting ? null : grammar.start();
    }

    /**
     * A mask that applies {@code grammar} from the first token.
     *
     * @param tries     the vocabulary's trie for a logits length (built once per model, on first use)
     * @param endOfTurn the ids that end the turn
     */
    static GrammarMask fromStart(Grammar grammar, IntFunction<TokenTrie> tries, Set<Integer> endOfTurn) {
        return new GrammarMask(grammar, null, false, tries, endOfTurn);
    }

    /**
     * A mask that applies {@code grammar} once the output holds {@code opening}: anywhere, or only at its start
     * (after white space) unless {@code anywhere}.
     */
    static GrammarMask fromOpening(Grammar grammar, String opening, boolean anywhere, IntFunction<TokenTrie> tries,
                                   Set<Integer> endOfTurn) {
        return new GrammarMask(grammar, opening, anywhere, tries, endOfTurn);
    }

    /**
     * Masks {@code logits}.
     *
     * @return how many tokens are left (the vocabulary's size while the mask is off); 0 when the vocabulary has no
     *         token the grammar allows here
     */
    int apply(float[] logits) {
        long start = System.nanoTime();
        if (trie == null || trie.vocabularySize() != logits.length) {
            trie = tries.apply(logits.length);
            allowed = new boolean[logits.length];
        } else {
            Arrays.fill(allowed, false);
        }
        int left = state == null || state.isFinished() ? 0 : trie.allow(state, allowed);
        if (state != null && state.isComplete()) {
            for (int id : endOfTurn) {
                if (id >= 0 && id < allowed.length && !allowed[id]) {
                    allowed[id] = true;
                    left++;
                }
            }
        }
        if (left == 0 && opening != null) {
            state = null;
        }
        if (state == null) {
            nanos += System.nanoTime() - start;
            return logits.length;
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
        if (text != null && state != null) {
            state = state.advance(text).orElseThrow(() -> new IllegalStateException(
                    "token " + token + " does not continue the grammar"));
        } else if (waiting) {
            waitForOpening(text != null ? text : "\uFFFD");
        }
        nanos += System.nanoTime() - start;
    }

    private void waitForOpening(String text) {
        waited.append(text);
        int at = openingAnywhere ? waited.indexOf(opening) : startOfOpening();
        if (at >= 0) {
            waiting = false;
            state = grammar.start().advance(waited.substring(at)).orElse(null);
        } else if (!openingAnywhere && !opening.startsWith(waited.toString().stripLeading())) {
            waiting = false;
        } else if (openingAnywhere && waited.length() >= opening.length()) {
            waited.delete(0, waited.length() - opening.length() + 1);
        }
    }

    /** Where the output, after white space, starts with the opening; -1 when it does not (yet). */
    private int startOfOpening() {
        int at = waited.length() - waited.toString().stripLeading().length();
        return waited.indexOf(opening, at) == at ? at : -1;
    }

    /** Whether the text so far is a whole match of the grammar. */
    boolean isComplete() {
        return state != null && state.isComplete();
    }

    /** Mean time of {@link #apply} and {@link #accept} per sampled token, in microseconds; 0 before any. */
    double meanMicrosPerToken() {
        return tokens == 0 ? 0 : nanos / 1000.0 / tokens;
    }
}
