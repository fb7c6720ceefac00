package dev.locallm.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.locallm.chat.Usage;
import dev.locallm.tool.ToolCallDelta;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/** Chunks as servers write them read back with the streaming parser. */
class ChatCompletionChunksTest {

    @Test
    void aWrittenChunkReadsBack() {
        List<ToolCallDelta> deltas = List.of(new ToolCallDelta(0, "call_1", "get_weather", ""),
                new ToolCallDelta(0, "", "", "{\"city\":"));
        StreamedChunk chunk = ChatCompletionChunks.read(ChatCompletionChunks.write("id", 1, "m", null, "Hi \"there\"",
                deltas, "tool_calls", true));
        assertThat(chunk.text()).isEqualTo("Hi \"there\"");
        assertThat(chunk.toolCalls()).isEqualTo(deltas);
        assertThat(chunk.finishReason()).hasValue("tool_calls");
        assertThat(chunk.usage()).isEmpty();
        assertThat(ChatCompletionChunks.read(ChatCompletionChunks.writeUsage("id", 1, "m", "chat.completion.chunk",
                Usage.of(5, 7))).usage()).hasValue(Usage.of(5, 7));
    }

    @Test
    void whatServersSendBesidesReadsToo() {
        // Ollama before streamed tool calls: the whole call in one delta, arguments as an object, no index
        StreamedChunk ollama = read("{\"choices\":[{\"delta\":{\"tool_calls\":[{\"id\":\"c\",\"function\":{\"name\":"
                + "\"f\",\"arguments\":{\"x\":[1,2]}}}]},\"finish_reason\":null}]}");
        assertThat(ollama.toolCalls()).containsExactly(new ToolCallDelta(-1, "c", "f", "{\"x\":[1,2]}"));
        // a whole completion (a server that ignored "stream"): the message reads as the delta
        StreamedChunk whole = read("{\"object\":\"chat.completion\",\"choices\":[{\"message\":{\"role\":\"assistant\","
                + "\"content\":\"Done\"},\"finish_reason\":\"length\"}],\"usage\":{\"prompt_tokens\":3,"
                + "\"completion_tokens\":2,\"total_tokens\":5},\"extra\":{\"nested\":[{}]}}");
        assertThat(whole.text()).isEqualTo("Done");
        assertThat(whole.finishReason()).hasValue("length");
        assertThat(whole.usage()).hasValue(Usage.of(3, 2));
        // a legacy completion piece, and an error in the stream
        assertThat(read("{\"choices\":[{\"text\":\" once\",\"index\":0}]}").text()).isEqualTo(" once");
        assertThat(read("{\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}").error())
                .hasValueSatisfying(e -> assertThat(e.message()).isEqualTo("boom"));
        assertThat(read("{\"choices\":[{\"delta\":{\"content\":null},\"finish_reason\":null}]}").text()).isEmpty();
    }

    @Test
    void whatIsNotAnObjectIsRefused() {
        assertThatThrownBy(() -> read("[1]")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> read("{\"choices\":[")).isInstanceOf(JacksonException.class);
    }

    private static StreamedChunk read(String json) {
        byte[] bytes = ("  " + json + "  ").getBytes(StandardCharsets.UTF_8);
        return ChatCompletionChunks.read(bytes, 2, bytes.length - 4);
    }

    @Test
    void aTreeReadsLikeItsBytes() {
        assertThat(ChatCompletionChunks.read(JsonMapper.shared().readTree("{\"choices\":[{\"delta\":{\"content\":"
                + "\"x\"}}]}")).text()).isEqualTo("x");
    }
}
