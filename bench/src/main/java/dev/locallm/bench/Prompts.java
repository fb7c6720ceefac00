package dev.locallm.bench;

import java.util.SplittableRandom;
import java.util.function.ToIntFunction;

/** Builds prompt texts of a given token count for a tokenizer. */
final class Prompts {
    private static final String[] WORDS = {"the", "little", "dog", "ran", "to", "park", "and", "saw", "a", "big",
        "red", "ball", "she", "was", "happy", "they", "played", "all", "day", "long"};

    private Prompts() {
    }

    /** Words in a fixed random order, as many as make {@code tokens} tokens by {@code count}. */
    static String ofTokens(int tokens, ToIntFunction<String> count) {
        SplittableRandom random = new SplittableRandom(512);
        StringBuilder text = new StringBuilder();
        while (true) {
            int before = text.length();
            text.append(before == 0 ? "" : " ").append(WORDS[random.nextInt(WORDS.length)]);
            int n = count.applyAsInt(text.toString());
            if (n >= tokens) {
                return n == tokens ? text.toString() : text.substring(0, before);
            }
        }
    }
}
