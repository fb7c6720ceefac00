package dev.locallm.server;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A streaming chat request on a raw socket, so that a test can read part of the stream and then drop the
 * connection the way a client that goes away does.
 */
final class SseSocket implements AutoCloseable {
    private final Socket socket;
    private final BufferedReader in;
    final int status;

    SseSocket(int port, String key, String json) {
        try {
            socket = new Socket("127.0.0.1", port);
            socket.setSoTimeout((int) Eventually.LIMIT.toMillis()); // only a hang waits that long for a byte
            byte[] body = json.getBytes(StandardCharsets.UTF_8);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Authorization: Bearer " + key + "\r\nContent-Length: " + body.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            String statusLine = in.readLine();
            status = Integer.parseInt(statusLine.split(" ")[1]);
            String header;
            while ((header = in.readLine()) != null && !header.isEmpty()) {
                // skip the response headers
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The payload of the next {@code data:} event, or {@code null} at the end of the connection. */
    String nextEvent() {
        try {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.startsWith("data: ")) {
                    return line.substring("data: ".length());
                }
            }
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Drops the connection without reading the rest. */
    @Override
    public void close() {
        try {
            socket.setSoLinger(true, 0);
            socket.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
