package dev.locallm.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.locallm.testkit.TestModels;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** Streaming detokenization on the real stories260K tokenizer, whose vocabulary spells most of Unicode in bytes. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StreamingDetokenizerTest {
    private Tokenizer tokenizer;

    @BeforeAll
    void open() {
        tokenizer = DjlTokenizer.open(TestModels.require(TestModels.STORIES_ONNX).resolve("tokenizer.json"));
    }

    @AfterAll
    void close() {
        tokenizer.close();
    }

    @Test
    void encodesAsLlamaCppDoes() {
        assertThat(tokenizer.encode("Once upon a time")).containsExactly(403, 407, 261, 378);
    }

    @Test
    void piecesNeverSplitACharacterAndAddUpToTheText() {
        // given text whose characters are several byte tokens each
        String text = "Tom paid 5€ for the 日本 book, née café ✓";
        int[] ids = tokenizer.encode(text);
        assertThat(ids.length).isGreaterThan(text.length() / 2);
        // when
        var detokenizer = new StreamingDetokenizer(tokenizer, new TokenTexts(tokenizer, 512), new int[] {1});
        List<String> pieces = new ArrayList<>();
        for (int id : ids) {
            pieces.add(detokenizer.add(id));
        }
        pieces.add(detokenizer.flush());
        // then
        assertThat(pieces).allSatisfy(p -> assertThat(p).doesNotContain("\uFFFD"));
        assertThat(pieces).contains("", "日", "本");
        assertThat(String.join("", pieces)).isEqualTo(tokenizer.decode(ids)).isEqualTo(text);
    }

    @Test
    void piecesOfAStoryAddUpToItsDecodedTextWhetherTheTokensTextsAreKnownOrNot() {
        // given
        String story = "Once upon a time, there was a little girl named Lily. She said: \"Let's go!\" 3 + 4 = 7.";
        int[] ids = tokenizer.encode(story);
        TokenTexts known = new TokenTexts(tokenizer, 512);
        for (int id = 0; id < 512; id++) {
            known.of(id);
        }
        // when
        for (TokenTexts texts : List.of(known, new TokenTexts(tokenizer, 0))) {
            var detokenizer = new StreamingDetokenizer(tokenizer, texts, new int[] {1});
            StringBuilder out = new StringBuilder();
            for (int id : ids) {
                out.append(detokenizer.add(id));
            }
            out.append(detokenizer.flush());
            // then
            assertThat(out.toString()).isEqualTo(tokenizer.decode(ids)).isEqualTo(story);
        }
    }

    @Test
    void flushGivesBackBytesThatNeverCompletedACharacter() {
        int[] euro = tokenizer.encode("日");
        assertThat(euro.length).as("a space and three byte tokens").isEqualTo(4);
        var detokenizer = new StreamingDetokenizer(tokenizer, new TokenTexts(tokenizer, 512), new int[] {1});
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < euro.length - 1; i++) {
            out.append(detokenizer.add(euro[i]));
        }
        assertThat(out.toString()).isIn("", " ");
        assertThat(detokenizer.flush()).contains("\uFFFD");
        assertThat(detokenizer.flush()).isEmpty();
    }
}
