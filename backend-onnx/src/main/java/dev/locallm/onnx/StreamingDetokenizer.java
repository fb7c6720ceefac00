package dev.locallm.onnx;

import java.util.Arrays;

/**
 * Turns generated tokens into text pieces that add up to the decoded text, never cutting a UTF-8 character: a token
 * that ends inside a character (a byte-fallback piece such as {@code <0xE2>}) yields nothing until the character is
 * complete. Pieces are the difference between decoding a short window with and without the new tokens, as
 * Hugging Face's text-generation-inference does, so decoders that strip a leading space or merge bytes see the
 * tokens in context. The common case needs no decoding: a token that is whole characters and follows a token that
 * is whole characters adds its {@link TokenTexts text inside a longer text}, which is that difference. Not
 * thread-safe: one per generation.
 */
final class StreamingDetokenizer {
    private static final char REPLACEMENT = '\uFFFD';

    private final Tokenizer tokenizer;
    private final TokenTexts texts;
    private int[] ids;
    private int size;
    /** Start of the window decoded for context. */
    private int prefixOffset;
    /** End of the tokens already turned into text. */
    private int readOffset;

    /**
     * @param texts   the model's token texts, or {@code null} to take every token through the decoder
     * @param context tokens before the generated ones (the end of the prompt), decoded for context only; may be
     *                empty
     */
    StreamingDetokenizer(Tokenizer tokenizer, TokenTexts texts, int[] context) {
        this.tokenizer = tokenizer;
        this.texts = texts;
        this.ids = Arrays.copyOf(context, Math.max(16, context.length * 2));
        this.size = context.length;
        this.prefixOffset = 0;
        this.readOffset = context.length;
    }

    /** The text that {@code token} completes; empty while it ends inside a character. */
    String add(int token) {
        if (size == ids.length) {
            ids = Arrays.copyOf(ids, size * 2);
        }
        ids[size++] = token;
        if (texts != null && readOffset == size - 1 && size >= 2 && isWhole(texts.of(ids[size - 2]))) {
            String text = texts.of(token);
            if (isWhole(text)) {
                prefixOffset = readOffset;
                readOffset = size;
                return text;
            }
        }
        String prefix = tokenizer.decode(Arrays.copyOfRange(ids, prefixOffset, readOffset));
        String full = tokenizer.decode(Arrays.copyOfRange(ids, prefixOffset, size));
        if (full.length() <= prefix.length() || full.charAt(full.length() - 1) == REPLACEMENT) {
            return "";
        }
        prefixOffset = readOffset;
        readOffset = size;
        return full.substring(prefix.length());
    }

    /** Whether a token's text is whole characters, at least one. */
    private static boolean isWhole(String text) {
        return text != null && !text.isEmpty() && text.indexOf(REPLACEMENT) < 0;
    }

    /** What the last tokens held back (bytes that never formed a character come out as U+FFFD); then nothing. */
    String flush() {
        if (readOffset == size) {
            return "";
        }
        String prefix = tokenizer.decode(Arrays.copyOfRange(ids, prefixOffset, readOffset));
        String full = tokenizer.decode(Arrays.copyOfRange(ids, prefixOffset, size));
        prefixOffset = readOffset;
        readOffset = size;
        return full.length() > prefix.length() ? full.substring(prefix.length()) : "";
    }
}
