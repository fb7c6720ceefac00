package dev.locallm.remote;

import static org.assertj.core.api.Assertions.assertThat;

import dev.locallm.internal.Json;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;

/** The fast chunk scanner agrees with Jackson on what it accepts, and declines everything else. */
class DeltaChunkTest {

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello\"},\"finish_reason\":null}]}",
        "{\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"choices\":[{\"index\":0,\"delta\":"
                + "{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,\"finish_reason\":null}]}",
        "{\"choices\":[{\"delta\":{\"content\":\"a\\\"b\\\\c\\/d\\n\\t\\r\\b\\f\"}}]}",
        "{\"choices\":[{\"delta\":{\"content\":\"caf\\u00e9 \\ud83d\\ude00 \u00fc\u2713\"}}]}",
        "{\"choices\":[{\"delta\":{},\"finish_reason\":\"length\"}],\"usage\":{\"prompt_tokens\":12,"
                + "\"completion_tokens\":34,\"total_tokens\":46,\"prompt_tokens_details\":{\"cached_tokens\":0}}}",
        "{\"choices\":[{\"index\":0,\"text\":\" upon\",\"logprobs\":null,\"finish_reason\":null}]}",
        "{\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2}}",
        "  {\"x\":[1,-2.5e3,true,false,null,{\"y\":[[]]}],\"choices\":[{\"delta\":{\"content\":\"ok\"}},{\"delta\":"
                + "{\"content\":\"second\"}}],\"timings\":{\"predicted_per_second\":50.25}}  ",
        "{\"choices\":[{\"delta\":{\"content\":\"x\",\"reasoning_content\":null}}],\"error\":null}"})
    void acceptedChunksReadAsJacksonReadsThem(String json) {
        DeltaChunk c = DeltaChunk.read(json.getBytes(StandardCharsets.UTF_8));
        JsonNode tree = Json.MAPPER.readTree(json);
        assertThat(c).isNotNull();
        JsonNode choice = tree.path("choices").path(0);
        assertThat(c.content).isEqualTo(choice.path("delta").path("content").isString()
                ? choice.path("delta").path("content").asString() : null);
        assertThat(c.text).isEqualTo(choice.path("text").isString() ? choice.path("text").asString() : null);
        assertThat(c.finishReason).isEqualTo(choice.path("finish_reason").isString()
                ? choice.path("finish_reason").asString() : null);
        assertThat(c.completionTokens).isEqualTo(tree.path("usage").path("completion_tokens").asInt(-1));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0}]}}]}",
        "{\"choices\":[{\"message\":{\"content\":\"whole\"}}]}",
        "{\"error\":{\"message\":\"boom\"}}",
        "{\"choices\":[{\"delta\":{\"content\":1}}]}",
        "{\"usage\":{\"completion_tokens\":1.5}}",
        "{\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":null}}",
        "{\"choices\":[{\"delta\":{\"content\":\"unterminated}}]}",
        "{\"choices\":[{\"delta\":{\"content\":\"bad \\x escape\"}}]}",
        "{\"choices\":[{\"delta\":{\"content\":\"raw\ncontrol\"}}]}",
        "{\"choices\":[{\"delta\":{\"content\":\"x\"}}]} trailing",
        "{\"a\":01}", "{\"a\":tru}", "[1,2]", "null", "", "{", "{\"a\" 1}", "{\"a\":1,}",
        "{\"id\":\"bad \\q\",\"choices\":[]}", "{\"id\":\"\\u12\",\"choices\":[]}"})
    void everythingElseIsDeclined(String json) {
        assertThat(DeltaChunk.read(json.getBytes(StandardCharsets.UTF_8))).isNull();
    }

    /**
     * Events are read in place from the buffer they arrived in: a chunk cut short inside a larger buffer is
     * declined even where the bytes after its range would complete it, and a whole one is read without them.
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 5, 12, 20, 31, 38, 39, 40, 41})
    void readsOnlyItsRangeOfALargerBuffer(int cut) {
        String json = "{\"id\":\"a\\u00e9\",\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}";
        byte[] buffer = ("data: " + json + "\n\ndata: " + json + "\n\n").getBytes(StandardCharsets.UTF_8);
        int offset = "data: ".length();
        int length = json.length();
        assertThat(DeltaChunk.read(buffer, offset, length)).isNotNull()
                .satisfies(c -> assertThat(c.content).isEqualTo("hi"));
        assertThat(DeltaChunk.read(buffer, offset, Math.min(cut, length - 1))).isNull();
    }

    /**
     * A stream's reader, which reads only the text of a chunk that matches the previous one around it, answers
     * exactly what reading each chunk in full answers: over random streams mixing chunk shapes, ids, texts with
     * escapes and quotes, finish and usage chunks, and broken strings in the text's place.
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
    void aStreamReaderAnswersAsReadingEachChunkInFull(long seed) {
        java.util.Random random = new java.util.Random(seed);
        String[] texts = {" the", "", "a\\\"b", "\\u00e9t\\u00e9", "\"},{\\\"x", "caf\u00e9 \ud83d\ude00", " end\\n",
            "bad \\q", "raw\ncontrol", "unterminated"};
        String[] shapes = {
            "{\"id\":\"%s\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"%s\"},"
                + "\"logprobs\":null,\"finish_reason\":null}]}",
            "{\"id\":\"%s\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"%s\"},\"finish_reason\":\"stop\"}],"
                + "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":9}}",
            "{\"id\":\"%s\",\"choices\":[{\"index\":0,\"text\":\"%s\",\"logprobs\":null,\"finish_reason\":null}]}",
            "{\"id\":\"%s\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"%s\",\"tool_calls\":[]}}]}",
            "{\"id\":\"%s\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"%s\"}}]} trailing"};
        DeltaChunk.Reader reader = new DeltaChunk.Reader();
        for (int n = 0; n < 400; n++) {
            String shape = shapes[random.nextInt(10) < 7 ? 0 : random.nextInt(shapes.length)];
            String json = String.format(shape, random.nextInt(10) < 8 ? "chatcmpl-1" : "chatcmpl-2",
                    texts[random.nextInt(texts.length)]);
            byte[] event = ("data: " + json + "\n\n").getBytes(StandardCharsets.UTF_8);
            int offset = "data: ".length();
            int length = event.length - offset - 2;
            DeltaChunk full = DeltaChunk.read(event, offset, length);
            DeltaChunk fast = reader.read(event, offset, length);
            if (full == null) {
                assertThat(fast).as(json).isNull();
                continue;
            }
            assertThat(fast).as(json).isNotNull();
            assertThat(fast.content).as(json).isEqualTo(full.content);
            assertThat(fast.text).as(json).isEqualTo(full.text);
            assertThat(fast.finishReason).as(json).isEqualTo(full.finishReason);
            assertThat(fast.promptTokens).as(json).isEqualTo(full.promptTokens);
            assertThat(fast.completionTokens).as(json).isEqualTo(full.completionTokens);
        }
    }
}
