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
    void tokenTextsGiveTheVeryPiecesTheDecoderGives() {
        // given text of words, punctuation, digits and characters spelled in bytes, after BOS and after a word
        String story = "Once upon a time, there was a little girl named Lily. She said: \"Let's go!\" 3 + 4 = 7. "
                + "Tom paid 5€ for the 日本 book, née café ✓";
        int[] ids = tokenizer.encode(story);
        for (int[] context : List.of(new int[] {1}, new int[] {1, 403})) {
            // when
            List<String> viaTexts = pieces(new StreamingDetokenizer(tokenizer, new TokenTexts(tokenizer, 512),
                    context), ids);
            List<String> viaDecoder = pieces(new StreamingDetokenizer(tokenizer, null, context), ids);
            // then
            assertThat(viaTexts).containsExactlyElementsOf(viaDecoder);
            assertThat(String.join("", viaTexts)).endsWith(story.substring(1));
        }
    }

    private static List<String> pieces(StreamingDetokenizer detokenizer, int[] ids) {
        List<String> pieces = new ArrayList<>();
        for (int id : ids) {
            pieces.add(detokenizer.add(id));
        }
        pieces.add(detokenizer.flush());
        return pieces;
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
