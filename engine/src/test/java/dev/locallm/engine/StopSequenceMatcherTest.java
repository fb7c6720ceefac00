package dev.locallm.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class StopSequenceMatcherTest {

    private static String run(StopSequenceMatcher m, String... pieces) {
        StringBuilder out = new StringBuilder();
        for (String p : pieces) {
            out.append(m.feed(p));
        }
        return out.append(m.flush()).toString();
    }

    @Test
    void cutsAtAStopSequenceSplitAcrossPieces() {
        var m = new StopSequenceMatcher(List.of("\nUser:"));
        assertThat(run(m, "Hello", " there\n", "Us", "er: next")).isEqualTo("Hello there");
        assertThat(m.stopped()).isTrue();
    }

    @Test
    void holdsBackOnlyWhatCouldStillBecomeAStop() {
        var m = new StopSequenceMatcher(List.of("END"));
        assertThat(m.feed("abcE")).isEqualTo("abc");
        assertThat(m.feed("N")).isEmpty();
        assertThat(m.feed("x")).isEqualTo("ENx");
        assertThat(m.flush()).isEmpty();
        assertThat(m.stopped()).isFalse();
    }

    @Test
    void earliestOfSeveralStopsWins() {
        var m = new StopSequenceMatcher(List.of("zz", "b"));
        assertThat(run(m, "aaab zz")).isEqualTo("aaa");
    }

    @Test
    void flushReturnsAHeldPrefixWhenTheGenerationEnds() {
        var m = new StopSequenceMatcher(List.of("STOP"));
        assertThat(run(m, "the end ST")).isEqualTo("the end ST");
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 5, 7})
    void resultDoesNotDependOnHowTextIsSplit(int size) {
        String text = "one two <|end|> three";
        var m = new StopSequenceMatcher(List.of("<|end|>", "four"));
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < text.length(); i += size) {
            out.append(m.feed(text.substring(i, Math.min(text.length(), i + size))));
        }
        out.append(m.flush());
        assertThat(out).hasToString("one two ");
    }

    @Test
    void withoutStopsTextPassesStraightThrough() {
        var m = new StopSequenceMatcher(List.of());
        assertThat(m.feed("abc")).isEqualTo("abc");
        assertThat(m.flush()).isEmpty();
    }
}
