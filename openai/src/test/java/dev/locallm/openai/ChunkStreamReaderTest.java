package dev.locallm.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.locallm.chat.Usage;
import dev.locallm.tool.ToolCallDelta;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/** A stream's chunks read in order give what each chunk read alone gives; the repeated frame skips the parser. */
class ChunkStreamReaderTest {
    private static final String[] TEXTS = {" the", "", "é", "日本", "🙂", "say \"hi\"", "a\\b", "line\nnext", "tab\t",
        "\u0001", "\u007f", "a\",\"finish_reason\":\"stop\"}]}", "\uFFFD", "end"};

    @Test
    void tokensInTheServersFrameAreReadWithoutTheParserAndAgreeWithIt() {
        ChunkStreamReader reader = new ChunkStreamReader();
        byte[] first = chunk("c1", " once", null);
        assertThat(reader.read(first, 0, first.length).text()).isEqualTo(" once");
        byte[] next = chunk("c1", "日本 🙂", null);
        assertThat(reader.textInFrame(next, 0, next.length)).isEqualTo("日本 🙂");
        byte[] escaped = chunk("c1", "say \"hi\"", null);
        assertThat(reader.textInFrame(escaped, 0, escaped.length)).isNull();
        byte[] otherId = chunk("c2", " once", null);
        assertThat(reader.textInFrame(otherId, 0, otherId.length)).isNull();
        byte[] finish = chunk("c1", "", "stop");
        assertThat(reader.textInFrame(finish, 0, finish.length)).isNull();
        assertThat(reader.read(finish, 0, finish.length).finishReason()).hasValue("stop");
    }

    @Test
    void aStreamOfEveryKindOfChunkReadsAsEachChunkAlone() {
        List<byte[]> stream = new ArrayList<>();
        for (String text : TEXTS) {
            stream.add(chunk("c1", text, null));
            stream.add(chunk("c1", "plain", null));
        }
        stream.add(ChatCompletionChunks.write("c1", 1, "m", null, null, List.of(new ToolCallDelta(0, "call_1", "f", "")),
                null, false).toString().getBytes(StandardCharsets.UTF_8));
        stream.add(chunk("c1", "after a call", null));
        stream.add(chunk("c1", "again", null));
        stream.add(json("{\"choices\":[{\"text\":\" legacy\",\"delta\":{\"content\":\" both\"}}]}"));
        stream.add(json("{\"choices\":[{\"text\":\" legacy\"}]}"));
        stream.add(json("{\"choices\":[{\"text\":\" piece\"}]}"));
        stream.add(chunk("c1", "", "length"));
        stream.add(ChatCompletionChunks.writeUsage("c1", 1, "m", "chat.completion.chunk", Usage.of(3, 4)).toString()
                .getBytes(StandardCharsets.UTF_8));
        assertReadsAsAlone(stream);
    }

    @Test
    void randomStreamsReadAsEachChunkAlone() {
        Random random = new Random(42);
        for (int round = 0; round < 300; round++) {
            List<byte[]> stream = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                String id = random.nextInt(8) == 0 ? "c2" : "c1";
                String finish = random.nextInt(10) == 0 ? "stop" : null;
                byte[] bytes = chunk(id, randomText(random), finish);
                if (random.nextInt(10) == 0) {
                    bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(256);
                }
                stream.add(bytes);
            }
            assertReadsAsAlone(stream);
        }
    }

    @Test
    void bytesThatBreakTheFrameFailAsTheParserFails() {
        ChunkStreamReader reader = new ChunkStreamReader();
        byte[] first = chunk("c1", "a", null);
        reader.read(first, 0, first.length);
        byte[] broken = new String(chunk("c1", "a", null), StandardCharsets.UTF_8).replace("\"a\"", "\"a\"+\"b\"")
                .getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> reader.read(broken, 0, broken.length)).isInstanceOf(JacksonException.class);
        byte[] invalidUtf8 = chunk("c1", "ab", null);
        int at = new String(invalidUtf8, StandardCharsets.UTF_8).indexOf("ab");
        invalidUtf8[at] = (byte) 0xC3;
        invalidUtf8[at + 1] = (byte) 0x28;
        assertThatThrownBy(() -> ChatCompletionChunks.read(invalidUtf8, 0, invalidUtf8.length))
                .isInstanceOf(JacksonException.class);
        assertThatThrownBy(() -> reader.read(invalidUtf8, 0, invalidUtf8.length)).isInstanceOf(JacksonException.class);
    }

    private static void assertReadsAsAlone(List<byte[]> stream) {
        ChunkStreamReader reader = new ChunkStreamReader();
        for (byte[] chunk : stream) {
            byte[] padded = new byte[chunk.length + 4];
            System.arraycopy(chunk, 0, padded, 2, chunk.length);
            assertThat(outcome(() -> reader.read(padded, 2, chunk.length)))
                    .as(new String(chunk, StandardCharsets.UTF_8))
                    .isEqualTo(outcome(() -> ChatCompletionChunks.read(chunk, 0, chunk.length)));
        }
    }

    private static String outcome(java.util.function.Supplier<StreamedChunk> read) {
        try {
            StreamedChunk chunk = read.get();
            return chunk + " " + chunk.toolCalls() + " " + chunk.finishReason() + " " + chunk.usage();
        } catch (JacksonException | IllegalArgumentException e) {
            return e.getClass().getSimpleName();
        }
    }

    private static String randomText(Random random) {
        if (random.nextInt(3) == 0) {
            return TEXTS[random.nextInt(TEXTS.length)];
        }
        StringBuilder sb = new StringBuilder();
        int length = random.nextInt(6);
        for (int i = 0; i < length; i++) {
            int kind = random.nextInt(4);
            sb.appendCodePoint(kind == 0 ? random.nextInt(0x80) : kind == 1 ? 0x20 + random.nextInt(0x5f)
                    : kind == 2 ? 0xA0 + random.nextInt(0x2000) : 0x1F600 + random.nextInt(0x50));
        }
        return sb.toString();
    }

    private static byte[] chunk(String id, String text, String finishReason) {
        return ChatCompletionChunks.write(id, 1700000000, "m", null, text, List.of(), finishReason, false).toString()
                .getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] json(String json) {
        return JsonMapper.shared().readTree(json).toString().getBytes(StandardCharsets.UTF_8);
    }
}
