package dev.locallm.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Connections after error answers, over a raw socket. An error answered before the request body was read
 * reads and drops the body first, so the answer arrives whole and the connection stays usable (a server that
 * closes a socket with unread bytes sends a reset, which can destroy its answer: the JDK client then reports
 * "header parser received no bytes"). A body too large to drop, or one the client holds back for
 * {@code 100 Continue}, gets {@code Connection: close} instead.
 */
class ConnectionReuseTest {
    private static final int MAX_BODY = 64 * 1024;
    private static ServingFixture fixture;
    private static URI base;

    @BeforeAll
    static void start() {
        fixture = ServingFixture.start(LocalLmServer.builder().apiKey(ServingFixture.KEY).maxBodyBytes(MAX_BODY));
        base = URI.create(fixture.baseUrl());
    }

    @AfterAll
    static void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    @ParameterizedTest(name = "{0} {1} {3} {4} bytes")
    @CsvSource({"POST, /v1/chat/completions, wrong, application/json, 200, 401",
            "POST, /v1/nope, KEY, application/json, 200, 404",
            "PUT, /v1/chat/completions, KEY, application/json, 200, 405",
            "POST, /v1/chat/completions, KEY, text/plain, 200, 415",
            "POST, /v1/embeddings, KEY, text/plain, 200, 415",
            "POST, /v1/chat/completions, KEY, application/json, 300000, 413"})
    void anErrorAnsweredBeforeTheBodyWasReadKeepsTheConnection(String method, String path, String key,
            String type, int size, int status) throws IOException {
        byte[] body = RawHttp.chat("").replace("\"Hi\"", "\"" + "x".repeat(size) + "\"")
                .getBytes(StandardCharsets.UTF_8);
        try (Socket socket = connect()) {
            Answer answer = send(socket, method, path, key.equals("KEY") ? ServingFixture.KEY : key, type, body);
            assertThat(answer.status).as(answer.body).isEqualTo(status);
            assertThat(answer.head.toLowerCase(Locale.ROOT)).doesNotContain("connection: close");
            assertThat(answer.body).contains("\"error\"");

            assertValidChatAnswered(socket);
        }
    }

    @Test
    void anErrorAnsweredAfterTheBodyWasReadKeepsTheConnection() throws IOException {
        byte[] invalid = RawHttp.chat("\"temperature\":\"hot\"").getBytes(StandardCharsets.UTF_8);
        try (Socket socket = connect()) {
            Answer first = send(socket, "POST", "/v1/chat/completions", ServingFixture.KEY, "application/json", invalid);
            assertThat(first.status).as(first.body).isEqualTo(400);
            assertThat(first.head.toLowerCase(Locale.ROOT)).doesNotContain("connection: close");

            assertValidChatAnswered(socket);
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"a body larger than can be dropped, 20000000, ''",
            "a body held back for 100 Continue, 200, 'Expect: 100-continue\r\n'"})
    void anErrorBeforeABodyThatIsNotSentSaysConnectionClose(String why, int length, String extra)
            throws IOException {
        try (Socket socket = connect()) {
            OutputStream out = socket.getOutputStream();
            out.write(head("POST", "/v1/chat/completions", "wrong", "application/json", length, extra));
            out.flush();
            Answer answer = Answer.read(socket.getInputStream());
            assertThat(answer.status).isEqualTo(401);
            assertThat(answer.head.toLowerCase(Locale.ROOT)).contains("\r\nconnection: close\r\n");
            assertThat(answer.body).contains("\"error\"");
            assertThat(socket.getInputStream().read()).as("the server closed the connection").isEqualTo(-1);
        }
    }

    private static void assertValidChatAnswered(Socket socket) throws IOException {
        byte[] valid = RawHttp.chat("\"max_tokens\":2").getBytes(StandardCharsets.UTF_8);
        Answer second = send(socket, "POST", "/v1/chat/completions", ServingFixture.KEY, "application/json", valid);
        assertThat(second.status).as(second.body).isEqualTo(200);
        assertThat(second.body).contains("\"completion_tokens\"");
    }

    /** Sends one request with its whole body on {@code socket} and reads the answer. */
    private static Answer send(Socket socket, String method, String path, String key, String type, byte[] body)
            throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(head(method, path, key, type, body.length, ""));
        out.write(body);
        out.flush();
        return Answer.read(socket.getInputStream());
    }

    private static Socket connect() throws IOException {
        Socket socket = new Socket(base.getHost(), base.getPort());
        socket.setSoTimeout(30_000);
        return socket;
    }

    private static byte[] head(String method, String path, String key, String type, int length, String extra) {
        return (method + " " + path + " HTTP/1.1\r\nHost: " + base.getHost() + "\r\nAuthorization: Bearer " + key
                + "\r\nContent-Type: " + type + "\r\nContent-Length: " + length + "\r\n" + extra + "\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    /** One HTTP/1.1 answer with a {@code Content-Length} body, read byte by byte so nothing after it is taken. */
    private record Answer(int status, String head, String body) {
        static Answer read(InputStream in) throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    throw new IOException("The connection closed inside the head: " + head);
                }
                head.write(b);
            }
            String text = head.toString(StandardCharsets.US_ASCII);
            int length = 0;
            for (String line : text.split("\r\n")) {
                if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                    length = Integer.parseInt(line.substring("content-length:".length()).strip());
                }
            }
            String body = new String(in.readNBytes(length), StandardCharsets.UTF_8);
            return new Answer(Integer.parseInt(text.substring(9, 12)), text, body);
        }
    }
}
