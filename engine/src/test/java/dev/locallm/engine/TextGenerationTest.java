package dev.locallm.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.locallm.ChatModel;
import dev.locallm.ScriptedEngine;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.ChatResponse;
import dev.locallm.chat.FinishReason;
import dev.locallm.chat.TruncationPolicy;
import dev.locallm.engine.toolcall.ToolCallFormat;
import dev.locallm.schema.JsonSchema;
import dev.locallm.spi.Generation;
import dev.locallm.spi.GenerationEvent;
import dev.locallm.tool.ToolCallDelta;
import dev.locallm.tool.ToolChoice;
import dev.locallm.tool.ToolSpec;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What {@link TextGeneration} makes of an engine's events: stop sequences, calls in text, structured calls. */
class TextGenerationTest {
    private static final ToolSpec WEATHER = ToolSpec.of("get_weather", "Weather", JsonSchema.parse(
            "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}"));

    @Test
    void stopSequenceEndsTheGenerationAndNeverLeaks() {
        try (ChatModel model = ScriptedTextEngine.replaying(List.of("Once", " up", "on", " a", " time"))) {
            ChatResponse r = model.chat(ChatRequest.builder().user("q").options(o -> o.stop("upon")).build());
            assertThat(r.text()).isEqualTo("Once ");
            assertThat(r.finishReason()).isEqualTo(FinishReason.STOP);
            assertThat(r.usage().completionTokens()).as("the tokens read before the stop").isEqualTo(3);
        }
    }

    /**
     * A server's structured calls pass through with their ids, and a call it left in its text is recovered: each
     * call streams under the next index, in the order the calls start.
     */
    @Test
    void structuredCallsPassThroughAndCallsInTextFollowThem() {
        ScriptedEngine server = new ScriptedEngine(List.of("<tool_call>{\"name\": \"get_weather\", \"arguments\": "
                + "{\"city\": \"Oslo\"}}</tool_call>"), false);
        server.calls.add(new ToolCallDelta(0, "srv-1", "get_weather", "{\"city\":\"Paris\"}"));
        ChatRequest request = ChatRequest.builder().user("q").tools(WEATHER).build();
        List<GenerationEvent> events = drain(TextGeneration.chat(server.start(request), request,
                List.of(ToolCallFormat.HERMES)));
        List<ToolCallDelta> deltas = events.stream().filter(e -> e instanceof GenerationEvent.CallDelta)
                .map(e -> ((GenerationEvent.CallDelta) e).delta()).toList();
        assertThat(deltas).extracting(ToolCallDelta::index).containsExactly(0, 0, 1);
        assertThat(deltas.get(0).name()).isEqualTo("get_weather");
        assertThat(deltas.get(1).arguments()).isEqualTo("{\"city\": \"Oslo\"}");
        assertThat(deltas.get(2).id()).isEqualTo("srv-1");
        assertThat(((GenerationEvent.Finished) events.get(events.size() - 1)).reason())
                .isEqualTo(FinishReason.TOOL_CALLS);
    }

    /** A structured call cut short is closed with its tool's parameters when the policy says so. */
    @Test
    void aStructuredCallCutShortIsClosedWithItsParameters() {
        ScriptedEngine server = new ScriptedEngine(List.of(), false);
        server.calls.add(new ToolCallDelta(0, "srv-1", "get_weather", "{\"city\":\"Par"));
        ChatRequest request = ChatRequest.builder().user("q").tools(WEATHER).toolChoice(ToolChoice.REQUIRED)
                .truncationPolicy(TruncationPolicy.CLOSE_JSON).options(o -> o.maxTokens(1)).build();
        try (ChatModel model = ScriptedTextEngine.chatModel(new ScriptedTextEngine(server))) {
            ChatResponse r = model.chat(request);
            assertThat(r.toolCalls()).hasSize(1);
            assertThat(WEATHER.parameters().validate(r.toolCalls().get(0).arguments())).isEmpty();
            assertThat(r.toolCalls().get(0).arguments()).startsWith("{\"city\":\"Par");
        }
    }

    private static List<GenerationEvent> drain(Generation g) {
        List<GenerationEvent> events = new ArrayList<>();
        GenerationEvent e;
        do {
            e = g.next();
            events.add(e);
        } while (!(e instanceof GenerationEvent.Finished));
        g.close();
        return events;
    }
}
