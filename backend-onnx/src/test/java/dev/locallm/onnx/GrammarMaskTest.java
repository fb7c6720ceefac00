package dev.locallm.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.locallm.engine.grammar.Grammar;
import dev.locallm.engine.grammar.JsonSchemaGrammar;
import dev.locallm.schema.JsonSchema;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The token texts, the trie walk and the mask, on a small SentencePiece-like vocabulary. */
class GrammarMaskTest {
    /** Pieces by id: {@code ▁} is a space; {@code ""} a special token; {@code "\uFFFD"} a lone byte. */
    private static final String[] PIECES = {"<unk>", "<s>", "</s>", "\uFFFD", "▁a", "a", "t", "tr", "true", "tru",
        "e", "f", "fa", "lse", "false", "▁t", "x", "{", "}", "\"", "\"a", "1", "12", ":", ",", " ", "ü"};
    private static final int EOS = 2;

    /** Decodes as SentencePiece does: pieces joined, {@code ▁} a space, one leading space stripped. */
    private static final class FakeTokenizer implements Tokenizer {
        @Override
        public int[] encode(String text) {
            return text.equals("a") ? new int[] {4} : new int[0];
        }

        @Override
        public int[] encodeWithSpecialTokens(String text) {
            return encode(text);
        }

        @Override
        public String decode(int[] ids) {
            StringBuilder out = new StringBuilder();
            for (int id : ids) {
                out.append(id <= 2 ? "" : PIECES[id].replace('▁', ' '));
            }
            return out.length() > 0 && out.charAt(0) == ' ' ? out.substring(1) : out.toString();
        }

        @Override
        public void close() {
        }
    }

    private static TokenTrie trie() {
        return TokenTrie.build(new TokenTexts(new FakeTokenizer(), PIECES.length), PIECES.length, Set.of(EOS));
    }

    private static Grammar grammar(String schema) {
        return JsonSchemaGrammar.compile(JsonSchema.parse(schema));
    }

    private static List<Integer> left(float[] logits) {
        return IntStream.range(0, logits.length).filter(i -> logits[i] != Float.NEGATIVE_INFINITY).boxed().toList();
    }

    @Test
    void tokenTextsAreTheirTextInsideALongerTextAndSpecialOrPartialTokensHaveNone() {
        TokenTrie trie = trie();
        assertThat(trie.text(15)).isEqualTo(" t");
        assertThat(trie.text(4)).isEqualTo(" a");
        assertThat(trie.text(8)).isEqualTo("true");
        assertThat(trie.text(26)).isEqualTo("ü");
        assertThat(trie.text(0)).isNull();
        assertThat(trie.text(1)).isNull();
        assertThat(trie.text(EOS)).isNull();
        assertThat(trie.text(3)).isNull();
        assertThat(trie.usableTokens()).isEqualTo(PIECES.length - 4);
    }

    @Test
    void maskLeavesExactlyTheTokensThatContinueTheGrammar() {
        GrammarMask mask = GrammarMask.fromStart(grammar("{\"type\":\"boolean\"}"), n -> trie(), Set.of(EOS));
        float[] logits = new float[PIECES.length];

        assertThat(mask.apply(logits)).isEqualTo(7);
        assertThat(left(logits)).containsExactly(6, 7, 8, 9, 11, 12, 14);
    }

    @Test
    void endOfTurnIsAllowedOnlyOnceTheTextIsAWholeMatchAndThenAlone() {
        GrammarMask mask = GrammarMask.fromStart(grammar("{\"type\":\"boolean\"}"), n -> trie(), Set.of(EOS));
        float[] logits = new float[PIECES.length];
        mask.apply(logits);
        assertThat(left(logits)).doesNotContain(EOS);
        mask.accept(9);
        logits = new float[PIECES.length];
        mask.apply(logits);
        assertThat(left(logits)).containsExactly(10);
        mask.accept(10);

        logits = new float[PIECES.length];
        assertThat(mask.apply(logits)).isEqualTo(1);
        assertThat(left(logits)).containsExactly(EOS);
        assertThat(mask.isComplete()).isTrue();
    }

    @Test
    void aMaskFromAnOpeningMasksNothingBeforeItAndTheGrammarFromIt() {
        GrammarMask mask = GrammarMask.fromOpening(grammar("{\"type\":\"boolean\"}"), "f", true, n -> trie(),
                Set.of(EOS));
        float[] logits = new float[PIECES.length];
        assertThat(mask.apply(logits)).isEqualTo(PIECES.length);
        assertThat(left(logits)).hasSize(PIECES.length);
        mask.accept(16);
        mask.accept(4);
        logits = new float[PIECES.length];
        assertThat(mask.apply(logits)).isEqualTo(PIECES.length);

        mask.accept(11);
        logits = new float[PIECES.length];
        mask.apply(logits);
        assertThat(left(logits)).as("after 'f' only 'a' continues 'false'").containsExactly(5);
        mask.accept(5);
        mask.accept(13);
        logits = new float[PIECES.length];
        mask.apply(logits);
        assertThat(left(logits)).containsExactly(EOS);
        assertThat(mask.isComplete()).isTrue();
    }

    @Test
    void anOpeningAtTheStartIsLookedForOnlyThereAfterWhiteSpace() {
        GrammarMask atStart = GrammarMask.fromOpening(grammar("{\"type\":\"boolean\"}"), "f", false, n -> trie(),
                Set.of(EOS));
        float[] logits = new float[PIECES.length];
        atStart.apply(logits);
        atStart.accept(25);
        atStart.accept(11);
        atStart.apply(logits);
        assertThat(left(logits)).containsExactly(5);

        GrammarMask late = GrammarMask.fromOpening(grammar("{\"type\":\"boolean\"}"), "f", false, n -> trie(),
                Set.of(EOS));
        logits = new float[PIECES.length];
        late.apply(logits);
        late.accept(16);
        late.accept(11);
        assertThat(late.apply(logits)).as("an opening after other text starts nothing").isEqualTo(PIECES.length);
    }

    @Test
    void anOpeningWhoseTextLeavesTheGrammarTurnsTheMaskOff() {
        GrammarMask mask = GrammarMask.fromOpening(grammar("{\"type\":\"boolean\"}"), "{", true, n -> trie(),
                Set.of(EOS));
        float[] logits = new float[PIECES.length];
        mask.apply(logits);
        mask.accept(17);
        mask.accept(16);
        assertThat(mask.apply(logits)).isEqualTo(PIECES.length);
        assertThat(mask.isComplete()).isFalse();
    }

    @Test
    void aMaskFromAnOpeningTurnsOffWhereNoTokenContinuesTheGrammarInsteadOfFailing() {
        GrammarMask mask = GrammarMask.fromOpening(grammar("{\"type\":\"boolean\"}"), "t", true, n -> trie(),
                Set.of(EOS));
        float[] logits = new float[PIECES.length];
        mask.apply(logits);
        mask.accept(6);
        assertThat(mask.apply(logits)).as("no piece spells the 'rue' of 'true' after 't'").isEqualTo(PIECES.length);
        assertThat(left(logits)).hasSize(PIECES.length);
        mask.accept(8);
        assertThat(mask.apply(logits)).isEqualTo(PIECES.length);
    }

    @Test
    void anOpeningIsFoundAcrossTokensAndTokensWithoutTextBreakIt() {
        Grammar object = grammar("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"}},"
                + "\"required\":[\"a\"],\"additionalProperties\":false}");
        GrammarMask split = GrammarMask.fromOpening(object, "{\"a", true, n -> trie(), Set.of(EOS));
        float[] logits = new float[PIECES.length];
        split.apply(logits);
        for (int token : new int[] {16, 4, 16, 17, 20}) {
            split.accept(token);
        }
        split.apply(logits);
        assertThat(left(logits)).as("after '{\"a' only the closing quote").containsExactly(19);

        GrammarMask broken = GrammarMask.fromOpening(object, "{\"a", true, n -> trie(), Set.of(EOS));
        logits = new float[PIECES.length];
        broken.apply(logits);
        broken.accept(17);
        broken.accept(3);
        broken.accept(20);
        assertThat(broken.apply(logits)).as("a lone byte between '{' and '\"a'").isEqualTo(PIECES.length);
    }

    @Test
    void theTrieWalkAllowsWhatAdvancingByEachTokenAllows() {
        TokenTrie trie = trie();
        Grammar g = grammar("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"},"
                + "\"b\":{\"type\":\"string\"}},\"required\":[\"a\",\"b\"]}");
        SplittableRandom random = new SplittableRandom(1);
        for (int run = 0; run < 20; run++) {
            var state = g.start();
            for (int step = 0; step < 30 && !state.isFinished(); step++) {
                boolean[] walked = new boolean[PIECES.length];
                trie.allow(state, walked);
                List<Integer> expected = new ArrayList<>();
                for (int id = 0; id < PIECES.length; id++) {
                    String text = trie.text(id);
                    if (text != null && state.advance(text).isPresent()) {
                        expected.add(id);
                    }
                }
                assertThat(IntStream.range(0, walked.length).filter(i -> walked[i]).boxed().toList())
                        .isEqualTo(expected);
                if (expected.isEmpty()) {
                    break;
                }
                state = state.advance(trie.text(expected.get(random.nextInt(expected.size())))).orElseThrow();
            }
        }
    }

    @Test
    void theSamplerNeverPicksAMaskedToken() {
        SplittableRandom random = new SplittableRandom(5);
        for (int round = 0; round < 200; round++) {
            float[] logits = new float[50];
            for (int i = 0; i < logits.length; i++) {
                logits[i] = i % 7 == 3 ? (float) random.nextGaussian() : Float.NEGATIVE_INFINITY;
            }
            Sampler sampler = new Sampler(round % 2 == 0 ? 0 : 1.5, round % 3 == 0 ? 0 : 40, 1.0, 0, 1.1, round);
            sampler.accept(3);
            assertThat(sampler.sample(logits.clone()) % 7).isEqualTo(3);
        }
    }
}
