package dev.locallm.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.locallm.ChatModel;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.ChatResponse;
import dev.locallm.chat.FinishReason;
import dev.locallm.chat.TruncationPolicy;
import dev.locallm.schema.JsonSchema;
import dev.locallm.tool.ToolCall;
import dev.locallm.tool.ToolCallDelta;
import dev.locallm.tool.ToolChoice;
import dev.locallm.tool.ToolSpec;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * What every backend that claims {@code tools} must show: forced tool choices yield valid calls to the allowed
 * tools, streamed call deltas add up to the calls, {@code none} yields no calls. Extend it like
 * {@link ChatModelContract}; the model needs a context of at least 1024 tokens.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
public abstract class ToolCallingContract {
    /** A tool with a required string and an optional bounded integer. */
    protected static final ToolSpec WEATHER = ToolSpec.of("get_weather", "Current weather in a city", JsonSchema.parse(
            "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\",\"maxLength\":30},\"days\":"
                    + "{\"type\":\"integer\",\"minimum\":1,\"maximum\":7}},\"required\":[\"city\"],"
                    + "\"additionalProperties\":false}"));
    /** A tool with one required string. */
    protected static final ToolSpec TIME = ToolSpec.of("get_time", "Local time in a city", JsonSchema.parse(
            "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\",\"maxLength\":30}},"
                    + "\"required\":[\"city\"],\"additionalProperties\":false}"));

    /** The model under test, opened once for the class by {@link #openModel()}. */
    protected ChatModel model;

    /** Opens the model under test; the suite closes it. */
    protected abstract ChatModel openModel();

    @BeforeAll
    void openSharedModel() {
        model = openModel();
        assertThat(model.capabilities().tools()).as("capabilities().tools()").isTrue();
    }

    @AfterAll
    void closeSharedModel() {
        if (model != null) {
            model.close();
        }
    }

    private static ChatRequest ask(ToolChoice choice, long seed) {
        return ChatRequest.builder().user("What is the weather in Paris?").tools(WEATHER, TIME).toolChoice(choice)
                .truncationPolicy(TruncationPolicy.CLOSE_JSON)
                .options(o -> o.temperature(0.9).seed(seed).maxTokens(150)).build();
    }

    private static void assertValid(ToolCall call) {
        ToolSpec spec = call.name().equals(WEATHER.name()) ? WEATHER : TIME;
        assertThat(call.name()).isIn(WEATHER.name(), TIME.name());
        assertThat(call.id()).isNotBlank();
        assertThat(spec.parameters().validate(call.arguments())).as(call.arguments()).isEmpty();
    }

    @Test
    void requiredChoiceGivesValidCalls() {
        for (long seed = 0; seed < 5; seed++) {
            ChatResponse r = model.chat(ask(ToolChoice.REQUIRED, seed));
            assertThat(r.finishReason()).isEqualTo(FinishReason.TOOL_CALLS);
            assertThat(r.toolCalls()).isNotEmpty().allSatisfy(ToolCallingContract::assertValid);
        }
    }

    @Test
    void namedChoiceCallsOnlyThatTool() {
        ChatResponse r = model.chat(ask(ToolChoice.named(TIME.name()), 2));
        assertThat(r.toolCalls()).isNotEmpty().allMatch(c -> c.name().equals(TIME.name()));
    }

    @Test
    void noneChoiceGivesText() {
        ChatResponse r = model.chat(ask(ToolChoice.NONE, 3));
        assertThat(r.toolCalls()).isEmpty();
        assertThat(r.text()).isNotEmpty();
    }

    @Test
    void autoChoiceGivesTextOrValidCalls() {
        for (long seed = 0; seed < 3; seed++) {
            ChatResponse r = model.chat(ask(ToolChoice.AUTO, seed));
            if (r.finishReason() == FinishReason.TOOL_CALLS) {
                assertThat(r.toolCalls()).allSatisfy(ToolCallingContract::assertValid);
            } else {
                assertThat(r.toolCalls()).isEmpty();
            }
        }
    }

    @Test
    void streamedDeltasAddUpToTheCalls() {
        var recorder = new RecordingStreamHandler();
        model.chatStream(ask(ToolChoice.REQUIRED, 8), recorder);
        recorder.assertExhausted();
        List<ToolCall> calls = recorder.completion().toolCalls();
        List<ToolCallDelta> deltas = recorder.toolCallDeltas();
        assertThat(calls).isNotEmpty();
        for (int i = 0; i < calls.size(); i++) {
            int index = i;
            List<ToolCallDelta> mine = deltas.stream().filter(d -> d.index() == index).toList();
            assertThat(mine.get(0).id()).isEqualTo(calls.get(i).id());
            assertThat(mine.get(0).name()).isEqualTo(calls.get(i).name());
            assertThat(mine.stream().map(ToolCallDelta::arguments).collect(Collectors.joining()))
                    .isEqualTo(calls.get(i).arguments());
        }
    }
}
