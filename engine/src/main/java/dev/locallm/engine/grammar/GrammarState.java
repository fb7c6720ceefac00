package dev.locallm.engine.grammar;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Where matching stands after some text: the set of parse stacks still alive. Immutable and thread-safe;
 * {@link #advance} returns a new state, so a backend can try each candidate token from the same state.
 *
 * <pre>{@code
 * GrammarState state = grammar.start();
 * for (int cp : text.codePoints().toArray()) {
 *     if (!state.allows(cp)) break;
 *     state = state.advance(cp);
 * }
 * String closing = state.shortestCompletion();
 * }</pre>
 */
public final class GrammarState {
    /** Bound on simultaneous parse stacks; only pathologically ambiguous grammars come near it. */
    private static final int MAX_STACKS = 4096;

    /** One frame of a parse stack: a position inside an alternative, and the frame below. Immutable. */
    private static final class Frame {
        final int rule;
        final int alt;
        final int pos;
        final Frame below;
        final int hash;

        Frame(int rule, int alt, int pos, Frame below) {
            this.rule = rule;
            this.alt = alt;
            this.pos = pos;
            this.below = below;
            this.hash = Objects.hash(rule, alt, pos) * 31 + (below == null ? 0 : below.hash);
        }

        @Override
        public boolean equals(Object o) {
            if (this == o) {
                return true;
            }
            if (!(o instanceof Frame f) || f.hash != hash || f.rule != rule || f.alt != alt || f.pos != pos) {
                return false;
            }
            return Objects.equals(below, f.below);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    private final Grammar grammar;
    /** Stacks whose top frame points at a character class. */
    private final List<Frame> stacks;
    private final boolean complete;

    private GrammarState(Grammar grammar, List<Frame> stacks, boolean complete) {
        this.grammar = grammar;
        this.stacks = stacks;
        this.complete = complete;
    }

    static GrammarState initial(Grammar grammar) {
        Set<Frame> out = new LinkedHashSet<>();
        boolean[] complete = {false};
        int root = grammar.root();
        for (int a = 0; a < grammar.alternatives(root).length; a++) {
            expand(grammar, new Frame(root, a, 0, null), out, complete);
        }
        return new GrammarState(grammar, List.copyOf(out), complete[0]);
    }

    private static void expand(Grammar g, Frame frame, Set<Frame> out, boolean[] complete) {
        while (true) {
            if (frame == null) {
                complete[0] = true;
                return;
            }
            Grammar.Element[] alt = g.alternatives(frame.rule)[frame.alt];
            if (frame.pos == alt.length) {
                frame = frame.below;
                continue;
            }
            Grammar.Element e = alt[frame.pos];
            if (e.isChars()) {
                out.add(frame);
                if (out.size() > MAX_STACKS) {
                    throw new GrammarException("the grammar is too ambiguous: more than " + MAX_STACKS + " parses");
                }
                return;
            }
            Frame continuation = frame.pos + 1 < alt.length ? new Frame(frame.rule, frame.alt, frame.pos + 1, frame.below)
                    : frame.below;
            Grammar.Element[][] alternatives = g.alternatives(e.rule);
            for (int a = 1; a < alternatives.length; a++) {
                expand(g, new Frame(e.rule, a, 0, continuation), out, complete);
            }
            frame = new Frame(e.rule, 0, 0, continuation);
        }
    }

    /** Whether the text so far is a complete sentence of the grammar (generation may stop here). */
    public boolean isComplete() {
        return complete;
    }

    /** Whether no character can follow (the text is complete and can go no further, or it is dead). */
    public boolean isFinished() {
        return stacks.isEmpty();
    }

    /** Whether {@code codePoint} may come next. */
    public boolean allows(int codePoint) {
        for (Frame f : stacks) {
            if (top(f).matches(codePoint)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The state after {@code codePoint}.
     *
     * @throws IllegalArgumentException when the grammar does not allow it here
     */
    public GrammarState advance(int codePoint) {
        Set<Frame> out = new LinkedHashSet<>();
        boolean[] done = {false};
        for (Frame f : stacks) {
            if (top(f).matches(codePoint)) {
                Grammar.Element[] alt = grammar.alternatives(f.rule)[f.alt];
                Frame next = f.pos + 1 < alt.length ? new Frame(f.rule, f.alt, f.pos + 1, f.below) : f.below;
                expand(grammar, next, out, done);
            }
        }
        if (out.isEmpty() && !done[0]) {
            throw new IllegalArgumentException("the grammar does not allow " + describe(codePoint) + " here");
        }
        return new GrammarState(grammar, List.copyOf(out), done[0]);
    }

    /** The state after {@code text}, or empty when the grammar rejects it somewhere. */
    public Optional<GrammarState> advance(CharSequence text) {
        GrammarState state = this;
        for (int i = 0; i < text.length(); ) {
            int cp = Character.codePointAt(text, i);
            if (!state.allows(cp)) {
                return Optional.empty();
            }
            state = state.advance(cp);
            i += Character.charCount(cp);
        }
        return Optional.of(state);
    }

    /** Whether {@code text} from here is a complete sentence. */
    public boolean matchesCompletely(CharSequence text) {
        return advance(text).map(GrammarState::isComplete).orElse(false);
    }

    /**
     * The shortest text that makes this state complete (empty when it already is): how to close a JSON value
     * cut off by a token limit so that it still parses.
     */
    public String shortestCompletion() {
        StringBuilder out = new StringBuilder();
        GrammarState state = this;
        while (!state.complete) {
            Frame best = null;
            int bestCost = Integer.MAX_VALUE;
            for (Frame f : state.stacks) {
                int cost = state.cost(f);
                if (cost < bestCost) {
                    bestCost = cost;
                    best = f;
                }
            }
            if (best == null) {
                throw new GrammarException("no completion exists from this state");
            }
            int cp = top(best).sample();
            out.appendCodePoint(cp);
            state = state.advance(cp);
        }
        return out.toString();
    }

    /** Fewest characters that complete this stack. */
    private int cost(Frame f) {
        long total = 0;
        for (Frame frame = f; frame != null; frame = frame.below) {
            total += grammar.minRest(frame.rule, frame.alt, frame.pos);
        }
        return (int) Math.min(total, Integer.MAX_VALUE);
    }

    private CharClass top(Frame f) {
        return grammar.alternatives(f.rule)[f.alt][f.pos].chars;
    }

    /** The character classes that may come next, for building token masks. */
    List<CharClass> nextClasses() {
        List<CharClass> classes = new ArrayList<>(stacks.size());
        stacks.forEach(f -> classes.add(top(f)));
        return classes;
    }

    private static String describe(int cp) {
        return cp >= 0x20 && cp < 0x7f ? "'" + (char) cp + "'" : String.format("U+%04X", cp);
    }

    @Override
    public String toString() {
        return "GrammarState[" + stacks.size() + " stacks" + (complete ? ", complete" : "") + "]";
    }
}
