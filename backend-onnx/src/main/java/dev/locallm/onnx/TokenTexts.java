package dev.locallm.onnx;

import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Each token's text as it appears inside a longer text: what decoding a plain token and it adds to decoding the plain
 * token alone (so SentencePiece's {@code ▁x} is {@code " x"}), computed by the tokenizer on a token's first use and
 * kept, for the grammar's {@link TokenTrie} and the {@link StreamingDetokenizer}'s common case. Special and control
 * tokens are {@code ""} (they decode to nothing); a byte-fallback piece that is not a character alone holds U+FFFD.
 *
 * <p>Thread-safe: threads that ask for the same new token at once may both decode it, and either text is kept.
 */
final class TokenTexts {
    /** Kept for ids the tokenizer failed on; compared by identity. */
    private static final String FAILED = new String(new char[] {'\uFFFF'});

    private final Tokenizer tokenizer;
    private final int plain;
    private final String before;
    private final AtomicReferenceArray<String> texts;

    /** Texts of ids {@code 0} to {@code size - 1} are kept once computed; those of other ids are computed each time. */
    TokenTexts(Tokenizer tokenizer, int size) {
        this.tokenizer = tokenizer;
        int[] encoded = tokenizer.encode("a");
        this.plain = encoded.length == 0 ? -1 : encoded[encoded.length - 1];
        this.before = plain < 0 ? "" : tokenizer.decode(new int[] {plain});
        this.texts = new AtomicReferenceArray<>(size);
    }

    /** The text of {@code id} inside a longer text, or {@code null} when the tokenizer cannot say. */
    String of(int id) {
        if (id < 0 || id >= texts.length()) {
            return compute(id);
        }
        String text = texts.get(id);
        if (text == null) {
            text = compute(id);
            texts.set(id, text == null ? FAILED : text);
            return text;
        }
        return text == FAILED ? null : text;
    }

    private String compute(int id) {
        try {
            String after = tokenizer.decode(plain < 0 ? new int[] {id} : new int[] {plain, id});
            return after.startsWith(before) ? after.substring(before.length()) : null;
        } catch (RuntimeException e) {
            return null;
        }
    }
}
