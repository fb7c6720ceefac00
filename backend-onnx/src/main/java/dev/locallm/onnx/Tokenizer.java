package dev.locallm.onnx;

/**
 * Text to token ids and back, for one model. Implementations are thread-safe; {@link #close()} is called once, when
 * no other call can run any more.
 */
interface Tokenizer extends AutoCloseable {

    /**
     * The ids of {@code text}, without BOS or EOS added; special-token text in it (such as {@code <|im_start|>} where
     * the vocabulary has it) becomes the special token.
     */
    int[] encode(String text);

    /**
     * The ids of {@code text} with the special tokens the tokenizer's post-processor adds around it (an encoder's
     * {@code [CLS]} and {@code [SEP]}).
     */
    int[] encodeWithSpecialTokens(String text);

    /**
     * The text of {@code ids}, special tokens left out. Bytes that do not form a whole UTF-8 character come out as
     * U+FFFD, which is how {@link StreamingDetokenizer} knows to wait for more.
     */
    String decode(int[] ids);

    /** Frees the tokenizer's native memory. */
    @Override
    void close();
}
