package dev.locallm.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.locallm.chat.AssistantMessage;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.ResponseFormat;
import dev.locallm.chat.ToolResultMessage;
import dev.locallm.chat.TruncationPolicy;
import dev.locallm.error.InvalidRequestException;
import dev.locallm.schema.JsonSchema;
import dev.locallm.tool.ToolCall;
import dev.locallm.tool.ToolChoice;
import dev.locallm.tool.ToolSpec;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/** A request written by the client side reads back, on the server side, as the same request. */
class ChatCompletionRequestsTest {
    private static final ToolSpec WEATHER = ToolSpec.of("get_weather", "Weather", JsonSchema.parse(
            "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}"));

    @Test
    void aWrittenRequestReadsBackAsTheSameRequest() {
        ChatRequest request = ChatRequest.builder().system("Be brief.").user("Weather in Paris?")
                .add(new AssistantMessage("", List.of(new ToolCall("call_1", "get_weather", "{\"city\":\"Paris\"}"))))
                .add(ToolResultMessage.of("call_1", "get_weather", "sunny")).tools(WEATHER)
                .toolChoice(ToolChoice.named("get_weather"))
                .responseFormat(ResponseFormat.jsonSchema("answer", JsonSchema.parse("{\"type\":\"object\"}")))
                .options(o -> o.temperature(0.2).topP(0.9).maxTokens(64).seed(7).stop("\n\n")).build();

        ObjectNode body = ChatCompletionRequests.write(request, "m");
        ChatCompletionRequest read = ChatCompletionRequests.read(body, RequestLimits.NONE);

        assertThat(read.model()).isEqualTo("m");
        assertThat(read.stream()).isFalse();
        assertThat(read.request().messages()).isEqualTo(request.messages());
        assertThat(read.request().tools()).isEqualTo(request.tools());
        assertThat(read.request().toolChoice()).isEqualTo(request.toolChoice());
        assertThat(read.request().responseFormat()).isEqualTo(request.responseFormat());
        assertThat(read.request().options()).isEqualTo(request.options());
        assertThat(body.at("/messages/2/content").isNull()).as("a turn of calls only has null content").isTrue();
        assertThat(body.has("top_k")).as("only OpenAI's own fields are written").isFalse();
    }

    @Test
    void onlyTheOptionsTheCallerSetAreWritten() {
        ObjectNode body = ChatCompletionRequests.write(ChatRequest.of("hi"), "m");
        assertThat(body.propertyNames()).containsExactlyInAnyOrder("model", "messages");
    }

    @Test
    void readingIsStrictAndNamesTheParameter() {
        assertThatThrownBy(() -> read("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                + "\"temperature\":\"hot\"}")).isInstanceOfSatisfying(InvalidRequestException.class,
                        e -> assertThat(e.parameter()).isEqualTo("temperature"));
        assertThatThrownBy(() -> read("{\"model\":\"m\",\"messages\":[{\"role\":\"tool\",\"tool_call_id\":\"c9\","
                + "\"content\":\"x\"}]}")).hasMessageContaining("answers no tool call");
        assertThatThrownBy(() -> read("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"n\":2}"))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.parameter()).isEqualTo("n"));
        assertThatThrownBy(() -> read("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"\"}}]}"))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.parameter()).isEqualTo("tools"));
    }

    @Test
    void llamaCppExtensionsAndTheTruncationPolicyAreRead() {
        ChatCompletionRequest r = read("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":"
                + "\"text\",\"text\":\"a\"},{\"type\":\"text\",\"text\":\"b\"}]}],\"top_k\":5,\"min_p\":0.1,"
                + "\"repeat_penalty\":1.1,\"max_tokens\":9,\"max_completion_tokens\":7,\"truncation\":\"close_json\","
                + "\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
        assertThat(r.request().messages().get(0).text()).isEqualTo("ab");
        assertThat(r.request().options().topK()).hasValue(5);
        assertThat(r.request().options().maxTokens()).as("the smaller of the two").hasValue(7);
        assertThat(r.request().truncationPolicy()).isEqualTo(TruncationPolicy.CLOSE_JSON);
        assertThat(r.stream()).isTrue();
        assertThat(r.includeUsage()).isTrue();
    }

    private static ChatCompletionRequest read(String json) {
        return ChatCompletionRequests.read(JsonMapper.shared().readTree(json), RequestLimits.NONE);
    }
}
