package dev.locallm.remote;

import dev.locallm.error.GenerationException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collection;

/**
 * An incremental parser of server-sent events (the WHATWG {@code text/event-stream} format) fed with bytes as
 * they arrive: lines end in CRLF, LF or CR (a CR at the end of one read and an LF at the start of the next are
 * one line end), lines starting with {@code :} are comments, several {@code data:} lines join with newlines, an
 * event is dispatched at a blank line. Bytes are decoded as UTF-8 per line, so a character split between reads
 * is intact. An event larger than the limit is a {@link GenerationException} rather than unbounded memory. Not
 * thread-safe: one stream, one reader.
 */
final class SseParser {

    /**
     * One dispatched event: its type ({@code message} when none was named), its data as {@code length} UTF-8
     * bytes of {@code bytes} from {@code offset}, and its id (or empty). The bytes may be shared with the buffer
     * the data arrived in, which must not change afterwards.
     */
    record Event(String type, byte[] bytes, int offset, int length, String id) {
        static Event of(String type, byte[] data, String id) {
            return new Event(type, data, 0, data.length, id);
        }

        /** The data as text. */
        String text() {
            return new String(bytes, offset, length, StandardCharsets.UTF_8);
        }

        /** Whether the data is empty or only white space. */
        boolean isBlank() {
            for (int i = offset; i < offset + length; i++) {
                if (bytes[i] > ' ') {
                    return false;
                }
            }
            return true;
        }

        /** Whether the data, without surrounding white space, is {@code [DONE]}. */
        boolean isDone() {
            int from = offset;
            int to = offset + length;
            while (from < to && bytes[from] <= ' ') {
                from++;
            }
            while (to > from && bytes[to - 1] <= ' ') {
                to--;
            }
            return to - from == 6 && bytes[from] == '[' && bytes[from + 1] == 'D' && bytes[from + 2] == 'O'
                    && bytes[from + 3] == 'N' && bytes[from + 4] == 'E' && bytes[from + 5] == ']';
        }
    }

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long ONES = 0x0101010101010101L;
    private static final long HIGHS = 0x8080808080808080L;
    private static final long LFS = 0x0A0A0A0A0A0A0A0AL;
    private static final long CRS = 0x0D0D0D0D0D0D0D0DL;

    private static final int MIN_HINT = 32;
    private static final int MAX_HINT = 1024;

    private final int maxEventBytes;
    /** A recent line, without its line end (so it holds none): see {@link #known}. */
    private byte[] hint = new byte[0];
    private byte[] line = new byte[256];
    private int lineLength;
    private final java.io.ByteArrayOutputStream data = new java.io.ByteArrayOutputStream();
    private byte[] single;
    private int singleOffset;
    private int singleLength;
    private String type = "";
    private String id = "";
    private boolean hasData;
    private boolean afterCr;
    private int eventBytes;
    private boolean first = true;
    /** Events dispatched so far (wraps; only compared for change). */
    private int dispatched;

    SseParser(int maxEventBytes) {
        this.maxEventBytes = maxEventBytes;
    }

    /**
     * Feeds bytes; adds the events they complete to {@code events}, in order. The events may refer to
     * {@code bytes}, which must not change until they have been read; nothing else is kept from it.
     */
    void feed(byte[] bytes, int offset, int length, Collection<Event> events) {
        feed(bytes, offset, length, events, false);
    }

    /**
     * Feeds bytes up to the end of the first event they complete (all of them when none), and adds that event
     * to {@code events}; returns the index after what was read. What {@link #feed} says of the bytes holds.
     */
    int feedOne(byte[] bytes, int offset, int length, Collection<Event> events) {
        return feed(bytes, offset, length, events, true);
    }

    /** Whether the next byte starts an event: no line, field or data of one is pending. */
    boolean atEventStart() {
        return lineLength == 0 && !hasData && !afterCr && !first && type.isEmpty();
    }

    private int feed(byte[] bytes, int offset, int length, Collection<Event> events, boolean one) {
        int dispatchedBefore = dispatched;
        int end = offset + length;
        int i = offset;
        if (afterCr && i < end) {
            afterCr = false;
            if (bytes[i] == '\n') {
                i++;
            }
        }
        int lineStart = i;
        while ((i = lineEnd(bytes, lineLength == 0 ? i + known(bytes, i, end) : i, end)) < end) {
            byte b = bytes[i];
            if (lineLength == 0 && !first) {
                count(i - lineStart);
                remember(bytes, lineStart, i);
                endLine(bytes, lineStart, i - lineStart, true, events);
            } else {
                append(bytes, lineStart, i - lineStart);
                endLine(line, 0, lineLength, false, events);
                lineLength = 0;
            }
            i++;
            if (b == '\r') {
                if (i == end) {
                    afterCr = true;
                } else if (bytes[i] == '\n') {
                    i++;
                }
            }
            lineStart = i;
            if (one && dispatched != dispatchedBefore) {
                return i;
            }
        }
        append(bytes, lineStart, end - lineStart);
        if (single == bytes) {
            single = Arrays.copyOfRange(single, singleOffset, singleOffset + singleLength);
            singleOffset = 0;
        }
        return end;
    }

    /**
     * How many bytes from {@code i} (before {@code end}) equal the start of {@link #hint}: they hold no line end,
     * so the search for one starts after them. Servers send nearly the same line for every token, and the JDK's
     * vectorised {@link Arrays#mismatch} compares bytes several times faster than the search reads them.
     */
    private int known(byte[] b, int i, int end) {
        int n = Math.min(hint.length, end - i);
        if (n == 0 || b[i] != hint[0]) {
            return 0;
        }
        int m = Arrays.mismatch(b, i, i + n, hint, 0, n);
        return m < 0 ? n : m;
    }

    /** Keeps the line from {@code from} to {@code to} as the {@link #hint} when the hint helped with less than half of it. */
    private void remember(byte[] b, int from, int to) {
        int length = to - from;
        if (length >= MIN_HINT && known(b, from, to) < length / 2) {
            hint = Arrays.copyOfRange(b, from, from + Math.min(length, MAX_HINT));
        }
    }

    /**
     * The index of the first CR or LF in {@code b} from {@code i}, or {@code end}: eight bytes at a time, with
     * the classic "has a zero byte" test on the bytes XORed with each line end (the lowest flagged byte of each
     * test is exact, so the lower of the two is the first line end).
     */
    private static int lineEnd(byte[] b, int i, int end) {
        while (i + Long.BYTES <= end) {
            long v = (long) LONGS.get(b, i);
            long lf = v ^ LFS;
            long cr = v ^ CRS;
            long hit = ((lf - ONES) & ~lf | (cr - ONES) & ~cr) & HIGHS;
            if (hit != 0) {
                return i + (Long.numberOfTrailingZeros(hit) >>> 3);
            }
            i += Long.BYTES;
        }
        while (i < end && b[i] != '\n' && b[i] != '\r') {
            i++;
        }
        return i;
    }

    private void count(int count) {
        eventBytes += count;
        if (eventBytes > maxEventBytes) {
            throw new GenerationException("A server-sent event is larger than " + maxEventBytes
                    + " bytes; the stream was abandoned");
        }
    }

    /** Keeps part of a line that continues in the next read. */
    private void append(byte[] bytes, int from, int count) {
        if (count == 0) {
            return;
        }
        count(count);
        if (lineLength + count > line.length) {
            line = Arrays.copyOf(line, Math.max(line.length * 2, lineLength + count));
        }
        System.arraycopy(bytes, from, line, lineLength, count);
        lineLength += count;
    }

    /**
     * The end of the stream. Per the format an unterminated event is dropped, but servers that close right after
     * their last {@code data:} line are common, so a pending event with data is dispatched.
     */
    void finish(Collection<Event> events) {
        if (lineLength > 0) {
            endLine(line, 0, lineLength, false, events);
            lineLength = 0;
        }
        if (hasData) {
            dispatch(events);
        }
    }

    /**
     * One complete line, {@code length} bytes of {@code src} from {@code from}, line end excluded; {@code shared}
     * when {@code src} is the caller's buffer (which events may refer to) rather than this parser's own.
     */
    private void endLine(byte[] src, int from, int length, boolean shared, Collection<Event> events) {
        int data = first ? -1 : dataValue(src, from, length);
        if (data >= 0) {
            if (shared) {
                addData(src, data, from + length - data);
            } else {
                byte[] copy = Arrays.copyOfRange(src, data, from + length);
                addData(copy, 0, copy.length);
            }
            return;
        }
        if (length == 0 && !first) {
            blankLine(events);
            return;
        }
        String text = new String(src, from, length, StandardCharsets.UTF_8);
        if (first) {
            first = false;
            if (text.startsWith("\uFEFF")) {
                text = text.substring(1);
            }
        }
        if (text.isEmpty()) {
            blankLine(events);
            return;
        }
        if (text.charAt(0) == ':') {
            return;
        }
        int colon = text.indexOf(':');
        String field = colon < 0 ? text : text.substring(0, colon);
        String value = colon < 0 ? "" : text.substring(colon + 1);
        if (value.startsWith(" ")) {
            value = value.substring(1);
        }
        switch (field) {
            case "data" -> {
                byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
                addData(bytes, 0, bytes.length);
            }
            case "event" -> type = value;
            case "id" -> {
                if (value.indexOf('\0') < 0) {
                    id = value;
                }
            }
            default -> {
                // "retry" and unknown fields: nothing to do for a one-shot stream
            }
        }
    }

    /** The end of an event: dispatched when it has data, forgotten otherwise. */
    private void blankLine(Collection<Event> events) {
        if (hasData) {
            dispatch(events);
        } else {
            type = "";
            eventBytes = 0;
        }
    }

    /**
     * Where the value of the {@code data:} field in the {@code length} bytes from {@code from} starts (after the
     * colon and one space, if any); -1 when they are not a {@code data:} field. The bytes may run on past the
     * line; only the first six are looked at.
     */
    static int dataValue(byte[] src, int from, int length) {
        if (length < 5 || src[from] != 'd' || src[from + 1] != 'a' || src[from + 2] != 't' || src[from + 3] != 'a'
                || src[from + 4] != ':') {
            return -1;
        }
        return length > 5 && src[from + 5] == ' ' ? from + 6 : from + 5;
    }

    /** One {@code data:} value: kept as is when it is the event's only one, joined with newlines otherwise. */
    private void addData(byte[] value, int offset, int length) {
        if (!hasData) {
            single = value;
            singleOffset = offset;
            singleLength = length;
            hasData = true;
            return;
        }
        if (single != null) {
            data.write(single, singleOffset, singleLength);
            single = null;
        }
        data.write('\n');
        data.write(value, offset, length);
    }

    private void dispatch(Collection<Event> events) {
        dispatched++;
        String name = type.isEmpty() ? "message" : type;
        events.add(single != null ? new Event(name, single, singleOffset, singleLength, id)
                : Event.of(name, data.toByteArray(), id));
        single = null;
        data.reset();
        hasData = false;
        type = "";
        eventBytes = 0;
    }
}
