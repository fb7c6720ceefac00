package dev.locallm.remote;

import dev.locallm.error.GenerationException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * An incremental parser of server-sent events (the WHATWG {@code text/event-stream} format) fed with bytes as
 * they arrive: lines end in CRLF, LF or CR (a CR at the end of one read and an LF at the start of the next are
 * one line end), lines starting with {@code :} are comments, several {@code data:} lines join with newlines, an
 * event is dispatched at a blank line. Bytes are decoded as UTF-8 per line, so a character split between reads
 * is intact. An event larger than the limit is a {@link GenerationException} rather than unbounded memory. Not
 * thread-safe: one stream, one reader.
 */
final class SseParser {

    /** One dispatched event: its type ({@code message} when none was named), its data and its id (or empty). */
    record Event(String type, String data, String id) { }

    private final int maxEventBytes;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream(256);
    private final StringBuilder data = new StringBuilder();
    private String type = "";
    private String id = "";
    private boolean hasData;
    private boolean afterCr;
    private int eventBytes;
    private boolean first = true;

    SseParser(int maxEventBytes) {
        this.maxEventBytes = maxEventBytes;
    }

    /** Feeds bytes; returns the events they complete, in order. */
    List<Event> feed(byte[] bytes, int offset, int length) {
        List<Event> events = new ArrayList<>(2);
        for (int i = offset; i < offset + length; i++) {
            byte b = bytes[i];
            if (afterCr) {
                afterCr = false;
                if (b == '\n') {
                    continue;
                }
            }
            if (b == '\r' || b == '\n') {
                afterCr = b == '\r';
                endLine(events);
            } else {
                if (++eventBytes > maxEventBytes) {
                    throw new GenerationException("A server-sent event is larger than " + maxEventBytes
                            + " bytes; the stream was abandoned");
                }
                line.write(b);
            }
        }
        return events;
    }

    /**
     * The end of the stream. Per the format an unterminated event is dropped, but servers that close right after
     * their last {@code data:} line are common, so a pending event with data is dispatched.
     */
    List<Event> finish() {
        List<Event> events = new ArrayList<>(1);
        if (line.size() > 0) {
            endLine(events);
        }
        if (hasData) {
            dispatch(events);
        }
        return events;
    }

    private void endLine(List<Event> events) {
        String text = line.toString(StandardCharsets.UTF_8);
        line.reset();
        if (first) {
            first = false;
            if (text.startsWith("\uFEFF")) {
                text = text.substring(1);
            }
        }
        if (text.isEmpty()) {
            if (hasData) {
                dispatch(events);
            } else {
                type = "";
                eventBytes = 0;
            }
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
                if (hasData) {
                    data.append('\n');
                }
                data.append(value);
                hasData = true;
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

    private void dispatch(List<Event> events) {
        events.add(new Event(type.isEmpty() ? "message" : type, data.toString(), id));
        data.setLength(0);
        hasData = false;
        type = "";
        eventBytes = 0;
    }
}
