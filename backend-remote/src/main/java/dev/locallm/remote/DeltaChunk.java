package dev.locallm.remote;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The common streamed chunk (text of the first choice, its finish reason, usage) read straight from the
 * event's UTF-8 bytes by a small strict scanner: most of a stream is such chunks, and this keeps the client's
 * cost per token a fraction of what reading the bytes costs. {@link #read} answers {@code null} for anything
 * beyond that shape or anything it does not fully understand (tool calls, errors, whole messages, odd
 * numbers, malformed JSON); the caller then reads the event with Jackson, which also reports malformed JSON.
 * A {@link Reader} reads a stream's chunks faster by what they share. Mutable; confined to one thread.
 */
final class DeltaChunk {
    private static final int MAX_DEPTH = 64;
    private static final byte[] CHOICES = bytes("choices");
    private static final byte[] USAGE = bytes("usage");
    private static final byte[] ERROR = bytes("error");
    private static final byte[] DELTA = bytes("delta");
    private static final byte[] TEXT = bytes("text");
    private static final byte[] FINISH_REASON = bytes("finish_reason");
    private static final byte[] MESSAGE = bytes("message");
    private static final byte[] CONTENT = bytes("content");
    private static final byte[] TOOL_CALLS = bytes("tool_calls");
    private static final byte[] FUNCTION_CALL = bytes("function_call");
    private static final byte[] PROMPT_TOKENS = bytes("prompt_tokens");
    private static final byte[] COMPLETION_TOKENS = bytes("completion_tokens");

    /** {@code choices[0].delta.content}, or null. */
    String content;
    /** {@code choices[0].text} (legacy completions), or null. */
    String text;
    /** {@code choices[0].finish_reason}, or null. */
    String finishReason;
    int promptTokens = -1;
    int completionTokens = -1;

    private final byte[] b;
    private final int end;
    private int i;
    /** Where the text's JSON string ({@code content} or {@code text}) starts and ends, and how many were read. */
    private int textFrom = -1;
    private int textTo;
    private int texts;
    private int keyStart;
    private int keyEnd;

    private DeltaChunk(byte[] b, int offset, int length) {
        this.b = b;
        this.i = offset;
        this.end = offset + length;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** The chunk in {@code b}, or {@code null} when it is not of the common shape (or not valid JSON). */
    static DeltaChunk read(byte[] b) {
        return read(b, 0, b.length);
    }

    /**
     * The chunk in {@code length} bytes of {@code b} from {@code offset}, or {@code null} when it is not of the
     * common shape (or not valid JSON). Nothing outside that range is read.
     */
    static DeltaChunk read(byte[] b, int offset, int length) {
        DeltaChunk c = new DeltaChunk(b, offset, length);
        try {
            return c.chunk() && c.atEnd() ? c : null;
        } catch (IndexOutOfBoundsException e) {
            return null;
        }
    }

    /** The byte at {@code k}; past the end of the range, an {@link IndexOutOfBoundsException} as past an array's. */
    private byte at(int k) {
        if (k >= end) {
            throw new IndexOutOfBoundsException(k);
        }
        return b[k];
    }

    /** One member of an object, its key just read. */
    @FunctionalInterface
    private interface Member {
        /** Reads the member's value; false when it is not understood. */
        boolean read();
    }

    /**
     * An object, each member read by {@code member} (members with a {@code null} value skipped first when
     * {@code skipNulls}); false when the object or one of its members is not understood.
     */
    private boolean object(boolean skipNulls, Member member) {
        if (!expect('{')) {
            return false;
        }
        if (expect('}')) {
            return true;
        }
        do {
            if (!key()) {
                return false;
            }
            if (skipNulls && nextIsNull()) {
                continue;
            }
            if (!member.read()) {
                return false;
            }
        } while (expect(','));
        return expect('}');
    }

    private boolean chunk() {
        return object(true, () -> keyIs(CHOICES) ? choices() : keyIs(USAGE) ? usage() : !keyIs(ERROR) && skipValue(0));
    }

    private boolean choices() {
        if (!expect('[')) {
            return false;
        }
        if (expect(']')) {
            return true;
        }
        boolean first = true;
        do {
            if (first) {
                first = false;
                if (!choice()) {
                    return false;
                }
            } else if (!skipValue(1)) {
                return false;
            }
        } while (expect(','));
        return expect(']');
    }

    private boolean choice() {
        return object(true, () -> {
            if (keyIs(DELTA)) {
                return delta();
            }
            if (keyIs(TEXT)) {
                return (text = textValue()) != null;
            }
            if (keyIs(FINISH_REASON)) {
                return (finishReason = string()) != null;
            }
            return !keyIs(MESSAGE) && skipValue(2);
        });
    }

    private boolean delta() {
        return object(true, () -> keyIs(CONTENT) ? (content = textValue()) != null
                : !keyIs(TOOL_CALLS) && !keyIs(FUNCTION_CALL) && skipValue(3));
    }

    /** Usage: a {@code null} count is not skipped, but declined (Jackson reads it as 0). */
    private boolean usage() {
        return object(false, () -> {
            if (keyIs(PROMPT_TOKENS)) {
                return (promptTokens = integer()) >= 0;
            }
            if (keyIs(COMPLETION_TOKENS)) {
                return (completionTokens = integer()) >= 0;
            }
            return skipValue(2);
        });
    }

    // ---- lexical level

    private void ws() {
        while (i < end && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t')) {
            i++;
        }
    }

    private boolean expect(char c) {
        ws();
        if (i < end && b[i] == c) {
            i++;
            return true;
        }
        return false;
    }

    private boolean atEnd() {
        ws();
        return i == end;
    }

    /** Reads {@code "key":}, remembering where the key's bytes are; keys with escapes are not understood. */
    private boolean key() {
        ws();
        if (at(i) != '"') {
            return false;
        }
        keyStart = ++i;
        for (byte c; (c = at(i)) != '"'; i++) {
            if (c == '\\' || (c & 0xff) < 0x20) {
                return false;
            }
        }
        keyEnd = i++;
        return expect(':');
    }

    private boolean keyIs(byte[] name) {
        if (keyEnd - keyStart != name.length) {
            return false;
        }
        for (int k = 0; k < name.length; k++) {
            if (b[keyStart + k] != name[k]) {
                return false;
            }
        }
        return true;
    }

    /** Consumes a {@code null} value and answers true, or answers false and consumes nothing. */
    private boolean nextIsNull() {
        ws();
        if (end - i >= 4 && b[i] == 'n' && b[i + 1] == 'u' && b[i + 2] == 'l' && b[i + 3] == 'l') {
            i += 4;
            return true;
        }
        return false;
    }

    /** {@link #string()}, remembering where the string lies. */
    private String textValue() {
        ws();
        int from = i;
        String value = string();
        textFrom = from;
        textTo = i;
        texts++;
        return value;
    }

    /** A JSON string value, decoded; {@code null} when the value is not a well-formed string. */
    private String string() {
        ws();
        if (at(i) != '"') {
            return null;
        }
        int start = ++i;
        for (int c; (c = at(i) & 0xff) != '"'; i++) {
            if (c == '\\') {
                return escapedString(start);
            }
            if (c < 0x20) {
                return null;
            }
        }
        return new String(b, start, i++ - start, StandardCharsets.UTF_8);
    }

    /** Skips a well-formed JSON string without decoding it; false when the value is not one. */
    private boolean skipString() {
        if (at(i) != '"') {
            return false;
        }
        i++;
        for (int c; (c = at(i) & 0xff) != '"'; i++) {
            if (c < 0x20) {
                return false;
            }
            if (c == '\\') {
                byte e = at(++i);
                if (e == 'u') {
                    if (hex4(i + 1) < 0) {
                        return false;
                    }
                    i += 4;
                } else if ("\"\\/bfnrt".indexOf(e) < 0) {
                    return false;
                }
            }
        }
        i++;
        return true;
    }

    private String escapedString(int start) {
        StringBuilder sb = new StringBuilder();
        int run = start;
        while (at(i) != '"') {
            int c = b[i] & 0xff;
            if (c < 0x20) {
                return null;
            }
            if (c != '\\') {
                i++;
                continue;
            }
            sb.append(new String(b, run, i - run, StandardCharsets.UTF_8));
            byte e = at(i + 1);
            i += 2;
            switch (e) {
                case '"' -> sb.append('"');
                case '\\' -> sb.append('\\');
                case '/' -> sb.append('/');
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'u' -> {
                    int cp = hex4(i);
                    if (cp < 0) {
                        return null;
                    }
                    i += 4;
                    sb.append((char) cp);
                }
                default -> {
                    return null;
                }
            }
            run = i;
        }
        sb.append(new String(b, run, i - run, StandardCharsets.UTF_8));
        i++;
        return sb.toString();
    }

    /** The four hex digits from {@code from} as a number, or -1. */
    private int hex4(int from) {
        int v = 0;
        for (int k = 0; k < 4; k++) {
            int d = Character.digit(at(from + k), 16);
            if (d < 0) {
                return -1;
            }
            v = v * 16 + d;
        }
        return v;
    }

    /** A non-negative integer below 2^31; -1 for anything else (fractions, exponents, signs, overflow). */
    private int integer() {
        ws();
        long v = 0;
        int start = i;
        while (i < end && b[i] >= '0' && b[i] <= '9') {
            v = v * 10 + (b[i] - '0');
            if (v > Integer.MAX_VALUE) {
                return -1;
            }
            i++;
        }
        if (i == start || i - start > 1 && b[start] == '0' || i < end && (b[i] == '.' || b[i] == 'e' || b[i] == 'E')) {
            return -1;
        }
        return (int) v;
    }

    /** Skips one well-formed value; false when it is not one (or nests too deep). */
    private boolean skipValue(int depth) {
        if (depth > MAX_DEPTH) {
            return false;
        }
        ws();
        byte c = at(i);
        if (c == '"') {
            return skipString();
        }
        if (c == '{' || c == '[') {
            char close = c == '{' ? '}' : ']';
            i++;
            if (expect(close)) {
                return true;
            }
            do {
                if (c == '{' && !key()) {
                    return false;
                }
                if (!skipValue(depth + 1)) {
                    return false;
                }
            } while (expect(','));
            return expect(close);
        }
        if (literal("true") || literal("false") || literal("null")) {
            return true;
        }
        return number();
    }

    private boolean literal(String word) {
        if (end - i < word.length()) {
            return false;
        }
        for (int k = 0; k < word.length(); k++) {
            if (b[i + k] != word.charAt(k)) {
                return false;
            }
        }
        i += word.length();
        return true;
    }

    /** A JSON number, checked against the grammar. */
    private boolean number() {
        int start = i;
        if (at(i) == '-') {
            i++;
        }
        if (i < end && b[i] == '0') {
            i++;
        } else if (!digits()) {
            return false;
        }
        if (i < end && b[i] == '.') {
            i++;
            if (!digits()) {
                return false;
            }
        }
        if (i < end && (b[i] == 'e' || b[i] == 'E')) {
            i++;
            if (i < end && (b[i] == '+' || b[i] == '-')) {
                i++;
            }
            if (!digits()) {
                return false;
            }
        }
        return i > start;
    }

    private boolean digits() {
        int start = i;
        while (i < end && b[i] >= '0' && b[i] <= '9') {
            i++;
        }
        return i > start;
    }

    /**
     * Reads the chunks of one stream. Servers send nearly the same chunk for every token: the same id, model
     * and fields around a different text. Once a chunk has been read in full, a later event that has the same
     * bytes before the text's string and the same bytes after it is that chunk with another text: only the
     * string is read (the bytes are compared with the JDK's vectorised {@link Arrays#equals}), and the rest of
     * the answer is the earlier chunk's. Anything else is read in full. Confined to one thread.
     */
    static final class Reader {
        private byte[] before = new byte[0];
        private byte[] after;
        private DeltaChunk last;
        private int eventEnd;
        /** Where the bytes {@link #withText} last matched end. */
        private int matched;

        /** As {@link DeltaChunk#read(byte[], int, int)}. */
        DeltaChunk read(byte[] b, int offset, int length) {
            DeltaChunk same = last == null ? null : sameButText(b, offset, length);
            if (same != null) {
                return same;
            }
            DeltaChunk c = DeltaChunk.read(b, offset, length);
            if (c != null && c.texts == 1) {
                last = c;
                before = Arrays.copyOfRange(b, offset, c.textFrom + 1);
                after = Arrays.copyOfRange(b, c.textTo, offset + length);
            } else {
                last = null;
            }
            return c;
        }

        /**
         * The server-sent event at {@code from} (before {@code to}), read straight from the received bytes, when
         * it is one {@code data:} line holding the last chunk with another text, then a blank line: the bytes
         * of the line before and after the text's string are compared with the last chunk's, the string is
         * read, and the line ends are checked (LF, CRLF or CR). Answers {@code null} for anything else, or when
         * the event's bytes have not all arrived; the caller then parses the bytes as server-sent events. After a
         * chunk, {@link #eventEnd()} is the index after the event.
         */
        DeltaChunk readEvent(byte[] b, int from, int to) {
            int data = last == null ? -1 : SseParser.dataValue(b, from, to - from);
            if (data < 0) {
                return null;
            }
            DeltaChunk c = withText(b, data, to, false);
            int blank = c == null ? -1 : newline(b, matched, to);
            int end = blank < 0 ? -1 : newline(b, blank, to);
            if (end < 0) {
                return null;
            }
            eventEnd = end;
            return c;
        }

        /** The index after the event {@link #readEvent} last read. */
        int eventEnd() {
            return eventEnd;
        }

        /**
         * The index after the line end at {@code i} (LF, CRLF or CR), or -1. A CR that ends the bytes may be
         * half of a CRLF: its LF then starts the next read as an empty line, which dispatches nothing.
         */
        private static int newline(byte[] b, int i, int to) {
            if (i < to && b[i] == '\n') {
                return i + 1;
            }
            if (i < to && b[i] == '\r') {
                return i + 1 < to && b[i + 1] == '\n' ? i + 2 : i + 1;
            }
            return -1;
        }

        private DeltaChunk sameButText(byte[] b, int offset, int length) {
            return withText(b, offset, offset + length, true);
        }

        /**
         * The last chunk with another text, when the bytes from {@code data} are the last chunk's bytes before
         * its text, a JSON string, and the last chunk's bytes after its text, ending at {@code to} when
         * {@code toEnd} and anywhere before it otherwise; then {@link #matched} is where they end. Else null.
         */
        private DeltaChunk withText(byte[] b, int data, int to, boolean toEnd) {
            int from = data + before.length;
            if (to - data < before.length + 1 + after.length || !Arrays.equals(b, data, from, before, 0,
                    before.length)) {
                return null;
            }
            DeltaChunk c = new DeltaChunk(b, from - 1, to - from + 1);
            String value;
            try {
                value = c.string();
            } catch (IndexOutOfBoundsException e) {
                return null;
            }
            int end = c.i + after.length;
            if (value == null || (toEnd ? end != to : end > to) || !Arrays.equals(b, c.i, end, after, 0,
                    after.length)) {
                return null;
            }
            matched = end;
            c.content = last.content == null ? null : value;
            c.text = last.text == null ? null : value;
            c.finishReason = last.finishReason;
            c.promptTokens = last.promptTokens;
            c.completionTokens = last.completionTokens;
            return c;
        }
    }
}
