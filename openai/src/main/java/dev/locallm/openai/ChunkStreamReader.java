package dev.locallm.openai;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Reads the chunks of one stream, in order, as {@link ChatCompletionChunks#read(byte[], int, int)} does. Servers
 * repeat one frame around each token's text ({@code {"id":...,"choices":[{"index":0,"delta":{"content":"}, then
 * {@code "},"finish_reason":null}]}}); a chunk whose bytes equal the previous text chunk's around a plain string
 * (no escapes, valid UTF-8) is that chunk with another text, so only the string is decoded. Every other chunk is
 * parsed in full with Jackson, which gives the same result for these, at about ten times the cost.
 *
 * <p>Not thread-safe: one reader per stream, used by the thread that consumes it.
 */
public final class ChunkStreamReader {
    private static final byte[] NONE = new byte[0];

    private byte[] head = NONE;
    private byte[] tail = NONE;
    private boolean framed;

    /** A reader that has seen no chunk yet. */
    public ChunkStreamReader() {
    }

    /**
     * Reads the next chunk of the stream from an event's bytes; the bytes are not kept.
     *
     * @throws tools.jackson.core.JacksonException when the bytes are not JSON
     * @throws IllegalArgumentException when they are JSON but not an object
     */
    public StreamedChunk read(byte[] bytes, int offset, int length) {
        String text = framed ? textInFrame(bytes, offset, length) : null;
        if (text != null) {
            return new StreamedChunk(text, List.of(), null, null, null, null);
        }
        ChatCompletionChunks.Reader r = ChatCompletionChunks.parse(bytes, offset, length);
        framed = r.textOnly();
        if (framed) {
            head = Arrays.copyOfRange(bytes, offset, offset + r.textFrom);
            tail = Arrays.copyOfRange(bytes, offset + r.textTo, offset + length);
        }
        return r.chunk();
    }

    /** The text of a chunk in the remembered frame, or {@code null} when it is not one or its string has escapes. */
    String textInFrame(byte[] bytes, int offset, int length) {
        int end = offset + length;
        int from = offset + head.length;
        int to = end - tail.length;
        if (to - from < 2 || !Arrays.equals(bytes, offset, from, head, 0, head.length)
                || !Arrays.equals(bytes, to, end, tail, 0, tail.length)
                || bytes[from] != '"' || bytes[to - 1] != '"') {
            return null;
        }
        for (int i = from + 1; i < to - 1; i++) {
            byte b = bytes[i];
            if (b == '"' || b == '\\' || (b >= 0 && b < 0x20)) {
                return null;
            }
        }
        String text = new String(bytes, from + 1, to - from - 2, StandardCharsets.UTF_8);
        return text.indexOf('\uFFFD') >= 0 ? null : text;
    }
}
