package dev.locallm.onnx;

import dev.locallm.engine.grammar.GrammarState;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;

/**
 * The vocabulary as texts, once per model, for token masks: each token's text as it appears inside a longer text
 * (what decoding a plain token and it adds to decoding the plain token alone, so SentencePiece's {@code ▁x} is
 * {@code " x"}), and a trie over those texts by code point. {@link #allow} walks the trie with a grammar state,
 * advancing the state once per trie edge instead of once per character of every token, and skipping the subtrees
 * the state rejects.
 *
 * <p>Tokens that no grammar may pick: special and control tokens (they decode to nothing), end-of-turn tokens
 * (the mask allows those itself), and byte-fallback pieces that do not form a whole character alone (they decode
 * to U+FFFD): JSON made of ASCII and whole-character tokens is what is enforced. Immutable and thread-safe.
 */
final class TokenTrie {
    private static final char REPLACEMENT = '\uFFFD';

    private final String[] texts;
    /** The edges of node {@code n} are {@code childStart[n]} to {@code childStart[n + 1]} (exclusive). */
    private final int[] childStart;
    private final int[] edgeCodePoint;
    private final int[] edgeChild;
    /** The tokens whose text ends at node {@code n} are {@code tokenStart[n]} to {@code tokenStart[n + 1]}. */
    private final int[] tokenStart;
    private final int[] tokenIds;
    private final int usable;

    private TokenTrie(String[] texts, int[] childStart, int[] edgeCodePoint, int[] edgeChild, int[] tokenStart,
                      int[] tokenIds) {
        this.texts = texts;
        this.childStart = childStart;
        this.edgeCodePoint = edgeCodePoint;
        this.edgeChild = edgeChild;
        this.tokenStart = tokenStart;
        this.tokenIds = tokenIds;
        this.usable = tokenIds.length;
    }

    /** Builds the trie of ids {@code 0} to {@code vocabularySize - 1}, leaving out {@code endOfTurn}. */
    static TokenTrie build(TokenTexts tokenTexts, int vocabularySize, Set<Integer> endOfTurn) {
        String[] texts = new String[vocabularySize];
        for (int id = 0; id < vocabularySize; id++) {
            if (!endOfTurn.contains(id)) {
                texts[id] = usable(tokenTexts.of(id));
            }
        }
        return of(texts);
    }

    private static String usable(String text) {
        return text == null || text.isEmpty() || text.indexOf(REPLACEMENT) >= 0 ? null : text;
    }

    /** A trie over {@code texts} (by id; {@code null} for a token no grammar may pick). */
    static TokenTrie of(String[] texts) {
        Node root = new Node();
        for (int id = 0; id < texts.length; id++) {
            if (texts[id] == null) {
                continue;
            }
            Node node = root;
            for (int cp : texts[id].codePoints().toArray()) {
                node = node.children.computeIfAbsent(cp, k -> new Node());
            }
            node.tokens.add(id);
        }
        List<Node> order = new ArrayList<>();
        ArrayDeque<Node> queue = new ArrayDeque<>();
        queue.add(root);
        while (!queue.isEmpty()) {
            Node node = queue.poll();
            node.index = order.size();
            order.add(node);
            queue.addAll(node.children.values());
        }
        int nodes = order.size();
        int[] childStart = new int[nodes + 1];
        int[] tokenStart = new int[nodes + 1];
        int[] edgeCodePoint = new int[nodes - 1];
        int[] edgeChild = new int[nodes - 1];
        int[] tokenIds = new int[(int) Arrays.stream(texts).filter(t -> t != null).count()];
        int edges = 0;
        int tokens = 0;
        for (Node node : order) {
            childStart[node.index] = edges;
            tokenStart[node.index] = tokens;
            for (var child : node.children.entrySet()) {
                edgeCodePoint[edges] = child.getKey();
                edgeChild[edges++] = child.getValue().index;
            }
            for (int id : node.tokens) {
                tokenIds[tokens++] = id;
            }
        }
        childStart[nodes] = edges;
        tokenStart[nodes] = tokens;
        return new TokenTrie(texts.clone(), childStart, edgeCodePoint, edgeChild, tokenStart, tokenIds);
    }

    /** One node while building: children by code point, in order. */
    private static final class Node {
        final TreeMap<Integer, Node> children = new TreeMap<>();
        final List<Integer> tokens = new ArrayList<>(1);
        int index;
    }

    /** Ids the trie covers ({@code 0} to this, exclusive). */
    int vocabularySize() {
        return texts.length;
    }

    /** Tokens a grammar may pick, end-of-turn aside. */
    int usableTokens() {
        return usable;
    }

    /** The text of {@code id} inside a longer text, or {@code null} when no grammar may pick it. */
    String text(int id) {
        return id >= 0 && id < texts.length ? texts[id] : null;
    }

    /**
     * Sets {@code allowed[id]} for every token whose text {@code state} accepts (leaves the others as they are).
     *
     * @return how many it set
     */
    int allow(GrammarState state, boolean[] allowed) {
        return walk(0, state, allowed);
    }

    private int walk(int node, GrammarState state, boolean[] allowed) {
        int count = 0;
        for (int e = childStart[node]; e < childStart[node + 1]; e++) {
            int cp = edgeCodePoint[e];
            if (!state.allows(cp)) {
                continue;
            }
            int child = edgeChild[e];
            for (int t = tokenStart[child]; t < tokenStart[child + 1]; t++) {
                allowed[tokenIds[t]] = true;
                count++;
            }
            if (childStart[child] < childStart[child + 1]) {
                count += walk(child, state.advance(cp), allowed);
            }
        }
        return count;
    }
}
