package dev.locallm.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.locallm.ChatModel;
import dev.locallm.LocalLm;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.ChatResponse;
import dev.locallm.error.GenerationException;
import dev.locallm.error.StreamInterruptedException;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.json.JsonMapper;

/**
 * What real servers send over SSE, well and badly formed, replayed byte for byte by a loopback server: each
 * case ends in the right text or a typed exception (never a NullPointerException, never a hang).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SseEdgeCaseTest {
    private final ScriptedHttpServer server = new ScriptedHttpServer();
    private volatile List<byte[]> reply = List.of();
    private ChatModel model;

    /**
     * One replayed answer. {@code text} is the text the chat must return, or, with {@code error}, the partial
     * text the exception must carry.
     */
    record Case(String name, List<byte[]> pieces, String text, Class<? extends Throwable> error) {
        @Override
        public String toString() {
            return name;
        }
    }

    @BeforeAll
    void start() {
        server.script("/v1/chat/completions", (exchange, body) -> {
            OutputStream out = ScriptedHttpServer.sse(exchange);
            ScriptedHttpServer.write(out, reply);
        });
        model = LocalLm.chatModel("openai:" + server.baseUrl() + "?model=m&dialect=openai&retries=0&timeout=10&repairs=0");
    }

    @AfterAll
    void stop() {
        model.close();
        server.close();
    }

    static String delta(String content) {
        return "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":"
                + "{\"content\":" + JsonMapper.shared().writeValueAsString(content) + "},\"finish_reason\":null}]}";
    }

    static final String FINISH = "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}";
    static final String DONE = "data: [DONE]";

    /** Events joined with the line end, each followed by a blank line. */
    static byte[] events(String eol, String... events) {
        StringBuilder sb = new StringBuilder();
        for (String e : events) {
            sb.append(e.replace("\n", eol)).append(eol).append(eol);
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    static List<byte[]> whole(byte[] bytes) {
        return List.of(bytes);
    }

    static List<byte[]> split(byte[] bytes, int size) {
        List<byte[]> pieces = new ArrayList<>();
        for (int i = 0; i < bytes.length; i += size) {
            pieces.add(java.util.Arrays.copyOfRange(bytes, i, Math.min(bytes.length, i + size)));
        }
        return pieces;
    }

    static Case ok(String name, List<byte[]> pieces, String text) {
        return new Case(name, pieces, text, null);
    }

    static Case fails(String name, List<byte[]> pieces, String partial, Class<? extends Throwable> error) {
        return new Case(name, pieces, partial, error);
    }

    static Stream<Case> cases() {
        byte[] normal = events("\n", delta("Hello"), delta(" world"), FINISH, DONE);
        List<Case> c = new ArrayList<>();
        c.add(ok("LF line ends", whole(normal), "Hello world"));
        c.add(ok("CRLF line ends", whole(events("\r\n", delta("Hello"), delta(" world"), FINISH, DONE)), "Hello world"));
        c.add(ok("CR line ends", whole(events("\r", delta("Hello"), delta(" world"), FINISH, DONE)), "Hello world"));
        byte[] crlf = events("\r\n", delta("Hello"), delta(" world"), FINISH, DONE);
        int cr = new String(crlf, StandardCharsets.UTF_8).indexOf('\r');
        c.add(ok("CRLF split between reads", List.of(java.util.Arrays.copyOfRange(crlf, 0, cr + 1),
                java.util.Arrays.copyOfRange(crlf, cr + 1, crlf.length)), "Hello world"));
        c.add(ok("mixed line ends", whole((delta("Hello") + "\r\n\n" + delta(" world") + "\r\r" + FINISH + "\n\r\n"
                + DONE + "\n\n").getBytes(StandardCharsets.UTF_8)), "Hello world"));
        c.add(ok("one byte per read", split(normal, 1), "Hello world"));
        c.add(ok("seven bytes per read", split(normal, 7), "Hello world"));
        c.add(ok("comments and keep-alives", whole(events("\n", ": keep-alive", delta("Hello"), ":", delta(" world"),
                ": ping", FINISH, DONE)), "Hello world"));
        c.add(ok("multi-line data", whole(events("\n", "data: {\"choices\":[{\"index\":0,\ndata: \"delta\":{\"content\":"
                + "\"Hello\"}}]}", delta(" world"), FINISH, DONE)), "Hello world"));
        c.add(ok("data without a space", whole(events("\n", delta("Hello").replace("data: ", "data:"), delta(" world"),
                FINISH, "data:[DONE]")), "Hello world"));
        c.add(ok("byte order mark", whole(("\uFEFF" + new String(normal, StandardCharsets.UTF_8))
                .getBytes(StandardCharsets.UTF_8)), "Hello world"));
        c.add(ok("event, id and retry fields", whole(events("\n", "retry: 1000", "id: 1\n" + delta("Hello"),
                "event: message\nid: 2\n" + delta(" world"), FINISH, DONE)), "Hello world"));
        c.add(ok("meta-only events", whole(events("\n", "event: ping", delta("Hello"), "id: 7", delta(" world"),
                "event: heartbeat\nretry: 5", FINISH, DONE)), "Hello world"));
        c.add(ok("empty data events", whole(events("\n", "data:", delta("Hello"), "data: ", delta(" world"), FINISH,
                DONE)), "Hello world"));
        c.add(ok("no [DONE] after the finish reason", whole(events("\n", delta("Hello"), delta(" world"), FINISH)),
                "Hello world"));
        c.add(ok("no blank line after the last event", whole((delta("Hello") + "\n\n" + delta(" world") + "\n\n"
                + FINISH).getBytes(StandardCharsets.UTF_8)), "Hello world"));
        c.add(ok("[DONE] with spaces", whole(events("\n", delta("Hello"), delta(" world"), FINISH,
                "data:  [DONE]  ")), "Hello world"));
        c.add(ok("chunks without choices, and usage alone", whole(events("\n", "data: {\"id\":\"c1\"}",
                "data: {\"choices\":[]}", delta("Hello"), delta(" world"), FINISH,
                "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}",
                DONE)), "Hello world"));
        c.add(ok("null and empty content", whole(events("\n", "data: {\"choices\":[{\"index\":0,\"delta\":"
                + "{\"role\":\"assistant\",\"content\":null}}]}", delta(""), delta("Hello"), delta(" world"), FINISH,
                DONE)), "Hello world"));
        String big = "x".repeat(1024 * 1024);
        c.add(ok("a 1 MB event", split(events("\n", delta(big), FINISH, DONE), 64 * 1024), big));
        c.add(ok("a character split between reads", split(events("\n", delta("héllo wörld ✓"), FINISH, DONE), 1),
                "héllo wörld ✓"));
        byte[] broken = events("\n", delta("ab"), FINISH, DONE);
        String text = new String(broken, StandardCharsets.ISO_8859_1).replace("ab", "a\u00ffb");
        c.add(ok("invalid UTF-8", whole(text.getBytes(StandardCharsets.ISO_8859_1)), "a\uFFFDb"));
        c.add(ok("one JSON answer instead of a stream (as data)", whole(events("\n", "data: {\"choices\":[{\"index\":0,"
                + "\"message\":{\"role\":\"assistant\",\"content\":\"Hello world\"},\"finish_reason\":\"stop\"}]}",
                DONE)), "Hello world"));
        c.add(fails("ends without a finish reason or [DONE]", whole(events("\n", delta("Hello"), delta(" wor"))),
                "Hello wor", StreamInterruptedException.class));
        c.add(fails("error event mid-stream", whole(events("\n", delta("Hello"), "event: error\ndata: {\"error\":"
                + "{\"message\":\"out of memory\",\"type\":\"server_error\"}}")), "Hello",
                StreamInterruptedException.class));
        c.add(fails("error object mid-stream", whole(events("\n", delta("Hello"),
                "data: {\"error\":{\"message\":\"model crashed\",\"code\":500}}")), "Hello",
                StreamInterruptedException.class));
        c.add(fails("Ollama-style error string", whole(events("\n", delta("Hello"), "data: {\"error\":\"boom\"}")),
                "Hello", StreamInterruptedException.class));
        c.add(fails("malformed JSON", whole(events("\n", delta("Hello"), "data: {\"choices\":[{\"delta\":")),
                "Hello", StreamInterruptedException.class));
        c.add(fails("JSON that is not an object", whole(events("\n", delta("Hello"), "data: [1,2,3]")), "Hello",
                StreamInterruptedException.class));
        c.add(fails("JSON null", whole(events("\n", delta("Hello"), "data: null")), "Hello",
                StreamInterruptedException.class));
        c.add(fails("plain text instead of events", whole("Internal Server Error\n".getBytes(StandardCharsets.UTF_8)),
                "", StreamInterruptedException.class));
        c.add(fails("an empty body", List.of(), "", StreamInterruptedException.class));
        c.add(fails("an event over 16 MB", split(events("\n", delta("y".repeat(17 * 1024 * 1024))), 1024 * 1024), "",
                StreamInterruptedException.class));
        return c.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void endsInTheRightTextOrATypedError(Case c) {
        reply = c.pieces();
        ChatRequest request = ChatRequest.of("hi");
        if (c.error() == null) {
            ChatResponse response = model.chat(request);
            assertThat(response.text()).isEqualTo(c.text());
        } else {
            assertThatThrownBy(() -> model.chat(request)).isInstanceOf(c.error())
                    .isInstanceOf(GenerationException.class)
                    .satisfies(e -> assertThat(((StreamInterruptedException) e).partialText()).isEqualTo(c.text()));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void streamingDeliversTheSameText(Case c) {
        reply = c.pieces();
        StringBuilder streamed = new StringBuilder();
        try (var stream = model.chatStream(ChatRequest.of("hi"))) {
            stream.forEach(chunk -> streamed.append(chunk.text()));
            assertThat(c.error()).as("no error expected").isNull();
            assertThat(streamed.toString()).isEqualTo(c.text());
        } catch (StreamInterruptedException e) {
            assertThat(c.error()).isNotNull();
            assertThat(streamed.toString()).isEqualTo(c.text());
        }
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
