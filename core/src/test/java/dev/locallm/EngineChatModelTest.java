package dev.locallm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import dev.locallm.ChatModel;
import dev.locallm.chat.ChatChunk;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.ChatResponse;
import dev.locallm.chat.FinishReason;
import dev.locallm.chat.GenerationOptions;
import dev.locallm.error.GenerationCancelledException;
import dev.locallm.error.InvalidRequestException;
import dev.locallm.error.TruncatedOutputException;
import dev.locallm.schema.JsonSchema;
import dev.locallm.stream.ChatStream;
import dev.locallm.stream.StreamHandler;
import dev.locallm.tool.ToolCall;
import dev.locallm.tool.ToolCallDelta;
import dev.locallm.tool.ToolSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(20)
class EngineChatModelTest {
    private static final List<String> STORY = List.of("Once", " upon", " a", " time", ".");

    @Test
    void rawCompletionOnABackendWithoutItIsATypedRefusal() {
        try (ChatModel m = EngineChatModel.create(new ScriptedEngine(List.of("a"), false), GenerationOptions.empty())) {
            assertThatThrownBy(() -> m.complete("Once", GenerationOptions.empty()))
                    .isInstanceOf(dev.locallm.error.InvalidRequestException.class).hasMessageContaining("raw prompts");
        }
    }

    @Test
    void blockingChatAssemblesTextUsageAndTimings() {
        var engine = new ScriptedEngine(STORY, false);
        try (ChatModel model = EngineChatModel.create(engine, GenerationOptions.empty())) {
            ChatResponse r = model.chat(ChatRequest.of("hi"));
            assertThat(r.text()).isEqualTo("Once upon a time.");
            assertThat(r.finishReason()).isEqualTo(FinishReason.STOP);
            assertThat(r.usage().promptTokens()).isEqualTo(3);
            assertThat(r.usage().completionTokens()).isEqualTo(5);
            assertThat(r.timings().total()).isPositive();
            assertThat(r.timings().decodeTokensPerSecond()).isPositive();
        }
        assertThat(engine.generationsClosed).hasValue(1);
        assertThat(engine.engineClosed).hasValue(1);
    }

    /** The decode rate counts a long reply; a reply of one token has none. */
    @Test
    void decodeRateOfALongReplyAndOfOneToken() {
        List<String> hundred = java.util.Collections.nCopies(100, "a");
        try (ChatModel model = EngineChatModel.create(new ScriptedEngine(hundred, false), GenerationOptions.empty())) {
            ChatResponse r = model.chat(ChatRequest.of("hi"));
            assertThat(r.usage().completionTokens()).isEqualTo(100);
            assertThat(r.timings().decodeTokensPerSecond()).isPositive().isFinite();
            assertThat(r.timings().timeToFirstToken()).isLessThanOrEqualTo(r.timings().total());
        }
        try (ChatModel model = EngineChatModel.create(new ScriptedEngine(List.of("a"), false), GenerationOptions.empty())) {
            assertThat(model.chat(ChatRequest.of("hi")).timings().decodeTokensPerSecond()).isZero();
        }
    }

    /** Only what the caller set reaches the engine: unset options are the engine's (or its server's) to choose. */
    @Test
    void engineReceivesDefaultsLayeredUnderRequestOptions() {
        var engine = new ScriptedEngine(STORY, false);
        try (ChatModel model = EngineChatModel.create(engine, GenerationOptions.of(o -> o.temperature(0.1).seed(9)))) {
            model.with(o -> o.maxTokens(2)).chat(ChatRequest.builder().user("q").options(o -> o.seed(5)).build());
            GenerationOptions seen = engine.requests.get(0).options();
            assertThat(seen.temperature()).hasValue(0.1);
            assertThat(seen.maxTokens()).hasValue(2);
            assertThat(seen.seed()).hasValue(5);
            assertThat(seen.topK()).isEmpty();
            assertThat(seen.topP()).isEmpty();
        }
    }

    /**
     * Tool calls reach core as structured deltas: they add up to the response's calls with the engine's ids (core
     * names a call the engine gave no id), and a turn that stops after calls ends with TOOL_CALLS.
     */
    @Test
    void callDeltasAddUpToToolCallsWithTheEnginesIds() {
        var engine = new ScriptedEngine(List.of("Let me check."), false);
        engine.calls.add(new ToolCallDelta(0, "srv-1", "get_weather", "{\"city\":"));
        engine.calls.add(new ToolCallDelta(0, "", "", "\"Paris\"}"));
        engine.calls.add(new ToolCallDelta(1, "", "get_time", "{}"));
        try (ChatModel model = EngineChatModel.create(engine, GenerationOptions.empty());
             ChatStream stream = model.chatStream(ChatRequest.of("hi"))) {
            List<ToolCallDelta> deltas = new ArrayList<>();
            stream.forEach(c -> deltas.addAll(c.toolCallDeltas()));
            ChatResponse r = stream.response();
            assertThat(r.finishReason()).isEqualTo(FinishReason.TOOL_CALLS);
            assertThat(r.text()).isEqualTo("Let me check.");
            assertThat(r.toolCalls()).extracting(ToolCall::id, ToolCall::name, ToolCall::arguments).containsExactly(
                    tuple("srv-1", "get_weather", "{\"city\":\"Paris\"}"),
                    tuple(deltas.get(2).id(), "get_time", "{}"));
            assertThat(deltas.get(2).id()).startsWith("call_").hasSize(29);
            assertThat(r.usage().completionTokens()).as("one token per event").isEqualTo(4);
        }
    }

    /** A call the token limit cut mid-arguments is an error, never a call passed on half written. */
    @Test
    void aToolCallCutByTheTokenLimitIsATruncatedOutputNotAHalfWrittenCall() {
        var engine = new ScriptedEngine(List.of(), false);
        engine.calls.add(new ToolCallDelta(0, "srv-1", "get_weather", "{\"city\":"));
        engine.calls.add(new ToolCallDelta(0, "", "", "\"Par"));
        engine.calls.add(new ToolCallDelta(0, "", "", "is\"}"));
        ToolSpec weather = ToolSpec.of("get_weather", "Weather", JsonSchema.parse(
                "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}"));
        try (ChatModel model = EngineChatModel.create(engine, GenerationOptions.empty())) {
            ChatRequest cut = ChatRequest.builder().user("hi").tools(weather).options(o -> o.maxTokens(2)).build();
            assertThatThrownBy(() -> model.chat(cut)).isInstanceOf(TruncatedOutputException.class)
                    .hasMessageContaining("cut short by the token limit");
            ChatResponse whole = model.chat(cut.toBuilder().options(o -> o.maxTokens(3)).build());
            assertThat(whole.finishReason()).isEqualTo(FinishReason.LENGTH);
            assertThat(whole.toolCalls()).extracting(ToolCall::arguments).containsExactly("{\"city\":\"Paris\"}");
        }
        var before = new ScriptedEngine(List.of(), false);
        before.calls.add(new ToolCallDelta(0, "srv-2", "get_weather", ""));
        before.calls.add(new ToolCallDelta(0, "", "", "{\"city\":\"Oslo\"}"));
        try (ChatModel model = EngineChatModel.create(before, GenerationOptions.empty())) {
            assertThatThrownBy(() -> model.chat(ChatRequest.builder().user("hi").tools(weather)
                    .options(o -> o.maxTokens(1)).build()))
                    .as("a call cut before its arguments began").isInstanceOf(TruncatedOutputException.class);
        }
    }

    @Test
    void pullStreamChunksConcatenateToTheResponse() {
        var engine = new ScriptedEngine(STORY, false);
        try (ChatModel model = EngineChatModel.create(engine, GenerationOptions.empty());
             ChatStream stream = model.chatStream(ChatRequest.of("hi"))) {
            List<ChatChunk> chunks = new ArrayList<>();
            stream.forEach(chunks::add);
            assertThat(chunks).last().matches(ChatChunk::isLast);
            String joined = chunks.stream().map(ChatChunk::text).reduce("", String::concat);
            assertThat(joined).isEqualTo(chunks.get(chunks.size() - 1).response().orElseThrow().text());
            assertThat(stream.response().finishReason()).isEqualTo(FinishReason.STOP);
            assertThatThrownBy(stream::iterator).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void pushStreamDeliversTextThenOneCompletion() {
        var engine = new ScriptedEngine(STORY, false);
        List<String> events = new ArrayList<>();
        try (ChatModel model = EngineChatModel.create(engine, GenerationOptions.empty())) {
            model.chatStream(ChatRequest.of("hi"), new StreamHandler() {
                @Override
                public void onText(String text) {
                    events.add("text:" + text);
                }

                @Override
                public void onComplete(ChatResponse response) {
                    events.add("complete:" + response.finishReason());
                }

                @Override
                public void onError(Throwable error) {
                    events.add("error");
                }
            });
        }
        assertThat(events).hasSize(6).last().isEqualTo("complete:STOP");
    }

    @Test
    void handlerFailureCancelsAndPropagates() {
        var engine = new ScriptedEngine(STORY, false);
        try (ChatModel model = EngineChatModel.create(engine, GenerationOptions.empty())) {
            assertThatThrownBy(() -> model.chatStream(ChatRequest.of("hi"), new StreamHandler() {
                @Override
                public void onText(String text) {
                    throw new IllegalStateException("consumer broke");
                }
            })).hasMessage("consumer broke");
            assertThat(engine.generationsClosed).hasValue(1);
        }
    }

    @Test
    void closingAStreamFromAnotherThreadCancelsIt() throws Exception {
        var engine = new ScriptedEngine(STORY, true);
        try (ChatModel model = EngineChatModel.create(engine, GenerationOptions.empty())) {
            ChatStream stream = model.chatStream(ChatRequest.of("hi"));
            CountDownLatch firstToken = new CountDownLatch(1);
            var consumer = CompletableFuture.supplyAsync(() -> {
                List<ChatChunk> seen = new ArrayList<>();
                stream.forEach(chunk -> {
                    seen.add(chunk);
                    firstToken.countDown();
                });
                return seen;
            });
            engine.permits.release();
            assertThat(firstToken.await(30, TimeUnit.SECONDS)).isTrue();
            stream.close();
            List<ChatChunk> seen = consumer.get(30, TimeUnit.SECONDS);
            assertThat(seen).extracting(ChatChunk::text).filteredOn(t -> !t.isEmpty())
                    .as("the consumer, waiting for the second token, was woken by close").containsExactly("Once");
            assertThat(engine.generationsClosed).hasValue(1);
            assertThatThrownBy(stream::response).isInstanceOf(GenerationCancelledException.class);
        }
    }

    @Test
    void closingTheModelCancelsRunningGenerationsAndLaterCallsFail() throws Exception {
        var engine = new ScriptedEngine(STORY, true);
        ChatModel model = EngineChatModel.create(engine, GenerationOptions.empty());
        ChatModel view = model.with(o -> o.temperature(0));
        var blocking = CompletableFuture.supplyAsync(() -> model.chat(ChatRequest.of("hi")));
        ChatStream idle = view.chatStream(ChatRequest.of("hi"));
        engine.permits.release(2);
        assertThat(engine.started.tryAcquire(2, 30, TimeUnit.SECONDS)).as("both generations started").isTrue();

        model.close();
        model.close();

        assertThatThrownBy(() -> blocking.get(30, TimeUnit.SECONDS)).hasCauseInstanceOf(GenerationCancelledException.class)
                .hasMessageContaining("the model was closed");
        assertThat(idle.iterator().hasNext()).isTrue();
        assertThat(engine.engineClosed).hasValue(1);
        assertThat(engine.generationsClosed).hasValue(2);
        assertThatThrownBy(() -> model.chat("again")).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> view.chat("again")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void interruptedCallerGetsACancellationAndKeepsItsFlag() {
        var engine = new ScriptedEngine(STORY, false);
        try (ChatModel model = EngineChatModel.create(engine, GenerationOptions.empty())) {
            Thread.currentThread().interrupt();
            try {
                assertThatThrownBy(() -> model.chat(ChatRequest.of("hi")))
                        .isInstanceOf(GenerationCancelledException.class)
                        .hasMessageContaining("interrupted");
                assertThat(Thread.currentThread().isInterrupted()).isTrue();
            } finally {
                Thread.interrupted();
            }
        }
    }

    @Test
    void viewsAreIndependentOfEachOtherAndNeedNoClosing() {
        var engine = new ScriptedEngine(STORY, false);
        try (ChatModel model = EngineChatModel.create(engine, GenerationOptions.of(o -> o.seed(1)))) {
            ChatModel greedy = model.with(o -> o.temperature(0));
            greedy.close();
            assertThat(greedy.defaultOptions().seed()).hasValue(1);
            assertThat(greedy.defaultOptions().temperature()).hasValue(0.0);
            assertThat(model.defaultOptions().temperature()).isEmpty();
            assertThat(model.chat("still open")).isNotEmpty();
        }
    }
}
