package dev.locallm.engine.grammar;

import dev.locallm.schema.SchemaAssertion;
import java.util.List;

/**
 * A context-free grammar over Unicode code points: rules made of alternatives, each a sequence of character
 * classes and references to rules. It is what constrained decoding follows: {@link #start()} gives a
 * {@link GrammarState} that says which characters may come next, and {@link #toGbnf()} renders the grammar for
 * llama.cpp. Compile one from a JSON schema with {@link JsonSchemaGrammar}.
 *
 * <pre>{@code
 * Grammar grammar = JsonSchemaGrammar.compile(JsonSchema.from(Weather.class));
 * boolean valid = grammar.start().advance("{\"city\": \"Paris\", \"temperature\": 21}")
 *         .map(GrammarState::isComplete).orElse(false);
 * }</pre>
 *
 * <p>Every rule derives a finite string and none is left-recursive (checked when built), so matching always
 * terminates and {@link GrammarState#shortestCompletion()} exists. Immutable and thread-safe.
 */
public final class Grammar {

    /** A character class or a rule reference. Immutable. */
    static final class Element {
        final CharClass chars;
        final int rule;

        private Element(CharClass chars, int rule) {
            this.chars = chars;
            this.rule = rule;
        }

        static Element chars(CharClass chars) {
            return new Element(chars, -1);
        }

        static Element ref(int rule) {
            return new Element(null, rule);
        }

        boolean isChars() {
            return chars != null;
        }
    }

    private final String[] names;
    private final Element[][][] rules;
    private final int root;
    /** Fewest characters each rule derives. */
    private final int[] minLength;
    /** For each rule, alternative and position: fewest characters from that position to the alternative's end. */
    private final int[][][] minRest;
    private final List<SchemaAssertion> unenforced;
    private volatile String gbnf;

    Grammar(String[] names, Element[][][] rules, int root) {
        this.names = names;
        this.rules = rules;
        this.root = root;
        this.minLength = computeMinLengths();
        this.minRest = computeMinRest();
        this.unenforced = List.of();
        checkLeftRecursion();
    }

    private Grammar(Grammar g, List<SchemaAssertion> unenforced) {
        this.names = g.names;
        this.rules = g.rules;
        this.root = g.root;
        this.minLength = g.minLength;
        this.minRest = g.minRest;
        this.unenforced = List.copyOf(unenforced);
    }

    /** This grammar, with the schema assertions it leaves to validation. */
    Grammar leaving(List<SchemaAssertion> assertions) {
        return assertions.isEmpty() && unenforced.isEmpty() ? this : new Grammar(this, assertions);
    }

    /**
     * The assertions of the schemas it was compiled from that this grammar does not enforce: it allows a superset
     * of what they allow, and output must be validated after generation. Empty when the grammar enforces the
     * schemas in full.
     */
    public List<SchemaAssertion> unenforced() {
        return unenforced;
    }

    /** The state before any character. */
    public GrammarState start() {
        return GrammarState.initial(this);
    }

    /** The grammar in llama.cpp's GBNF notation, with the start rule named {@code root}. */
    public String toGbnf() {
        String text = gbnf;
        if (text == null) {
            text = GbnfWriter.write(this);
            gbnf = text;
        }
        return text;
    }

    /** Number of rules, helper rules included. */
    public int ruleCount() {
        return rules.length;
    }

    int root() {
        return root;
    }

    String name(int rule) {
        return names[rule];
    }

    Element[][] alternatives(int rule) {
        return rules[rule];
    }

    int minRest(int rule, int alternative, int position) {
        return minRest[rule][alternative][position];
    }

    /**
     * Fewest characters each rule derives, by Knuth's generalisation of Dijkstra's algorithm: a rule's length is
     * final when it is the least among those whose alternatives have all their referenced rules final. Each
     * reference is visited once, whatever order the rules were declared in.
     */
    private int[] computeMinLengths() {
        int count = 0;
        for (Element[][] alternatives : rules) {
            count += alternatives.length;
        }
        int[] ruleOf = new int[count];
        int[] pending = new int[count];
        long[] sum = new long[count];
        java.util.List<java.util.List<Integer>> users = new java.util.ArrayList<>();
        for (int r = 0; r < rules.length; r++) {
            users.add(new java.util.ArrayList<>());
        }
        java.util.PriorityQueue<long[]> queue = new java.util.PriorityQueue<>((x, y) -> Long.compare(x[0], y[0]));
        int a = 0;
        for (int r = 0; r < rules.length; r++) {
            for (Element[] alt : rules[r]) {
                ruleOf[a] = r;
                for (Element e : alt) {
                    if (e.isChars()) {
                        sum[a]++;
                    } else {
                        pending[a]++;
                        users.get(e.rule).add(a);
                    }
                }
                if (pending[a] == 0) {
                    queue.add(new long[] {sum[a], r});
                }
                a++;
            }
        }
        int[] min = new int[rules.length];
        boolean[] done = new boolean[rules.length];
        while (!queue.isEmpty()) {
            long[] next = queue.poll();
            int r = (int) next[1];
            if (done[r]) {
                continue;
            }
            done[r] = true;
            min[r] = (int) Math.min(next[0], Integer.MAX_VALUE / 2);
            for (int user : users.get(r)) {
                sum[user] += min[r];
                if (--pending[user] == 0) {
                    queue.add(new long[] {sum[user], ruleOf[user]});
                }
            }
        }
        for (int r = 0; r < rules.length; r++) {
            if (!done[r]) {
                throw new GrammarException("rule '" + names[r] + "' derives no finite string");
            }
        }
        return min;
    }

    private int[][][] computeMinRest() {
        int[][][] rest = new int[rules.length][][];
        for (int r = 0; r < rules.length; r++) {
            rest[r] = new int[rules[r].length][];
            for (int a = 0; a < rules[r].length; a++) {
                Element[] alt = rules[r][a];
                int[] suffix = new int[alt.length + 1];
                for (int i = alt.length - 1; i >= 0; i--) {
                    suffix[i] = suffix[i + 1] + (alt[i].isChars() ? 1 : minLength[alt[i].rule]);
                }
                rest[r][a] = suffix;
            }
        }
        return rest;
    }

    /** Left recursion would make matching loop: a rule reaching itself before any character is consumed. */
    private void checkLeftRecursion() {
        boolean[] nullable = new boolean[rules.length];
        for (int r = 0; r < rules.length; r++) {
            nullable[r] = minLength[r] == 0;
        }
        int[] state = new int[rules.length];
        int[] cursor = new int[rules.length];
        for (int r = 0; r < rules.length; r++) {
            visitLeft(r, state, cursor, nullable);
        }
    }

    /**
     * A depth-first search over the rules each rule can start with (state 1: on the path, 2: done), with an
     * explicit stack, since a grammar's rule chains can be longer than the thread's stack is deep.
     */
    private void visitLeft(int start, int[] state, int[] cursor, boolean[] nullable) {
        if (state[start] != 0) {
            return;
        }
        java.util.ArrayDeque<int[]> path = new java.util.ArrayDeque<>();
        state[start] = 1;
        path.push(leftCalls(start, nullable));
        java.util.ArrayDeque<Integer> rulesOnPath = new java.util.ArrayDeque<>();
        rulesOnPath.push(start);
        while (!path.isEmpty()) {
            int rule = rulesOnPath.peek();
            int[] calls = path.peek();
            if (cursor[rule] == calls.length) {
                state[rule] = 2;
                path.pop();
                rulesOnPath.pop();
                continue;
            }
            int next = calls[cursor[rule]++];
            if (state[next] == 1) {
                throw new GrammarException("rule '" + names[next] + "' is left-recursive");
            }
            if (state[next] == 0) {
                state[next] = 1;
                path.push(leftCalls(next, nullable));
                rulesOnPath.push(next);
            }
        }
    }

    /** The rules an alternative of {@code rule} may call before it reads any character. */
    private int[] leftCalls(int rule, boolean[] nullable) {
        java.util.List<Integer> calls = new java.util.ArrayList<>();
        for (Element[] alt : rules[rule]) {
            for (Element e : alt) {
                if (e.isChars()) {
                    break;
                }
                calls.add(e.rule);
                if (!nullable[e.rule]) {
                    break;
                }
            }
        }
        return calls.stream().mapToInt(Integer::intValue).toArray();
    }

    @Override
    public String toString() {
        return "Grammar[" + rules.length + " rules]";
    }
}
