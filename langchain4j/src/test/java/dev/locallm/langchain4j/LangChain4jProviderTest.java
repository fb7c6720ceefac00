package dev.locallm.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.langchain4j.agent.tool.P;
import dev.langchain4j.agent.tool.ReturnBehavior;
import dev.langchain4j.agent.tool.Tool;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.listener.ChatModelErrorContext;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.listener.ChatModelRequestContext;
import dev.langchain4j.model.chat.listener.ChatModelResponseContext;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.CompleteToolCall;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.PartialToolCall;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.Result;
import dev.locallm.ChatModel;
import dev.locallm.EmbeddingModel;
import dev.locallm.LocalLm;
import dev.locallm.testkit.TestModels;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * LocaLLM behind LangChain4j's interfaces and {@code AiServices}, on the real stories260K model (ChatML, 2 slots):
 * structure, not wit. The calls and records a tiny model makes are valid because LocaLLM constrains them.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LangChain4jProviderTest {
    private static ChatModel chat;
    private static EmbeddingModel embeddings;

    @BeforeAll
    static void load() {
        String model = TestModels.require(TestModels.STORIES_CHATML).toString();
        chat = LocalLm.chatModel("gguf:" + model + "?threads=1&ctx=2048&parallel=2");
        embeddings = LocalLm.embeddingModel("gguf:" + model + "?threads=1");
    }

    @AfterAll
    static void close() {
        chat.close();
        embeddings.close();
    }

    /** A tool that records the cities it was asked about and ends the AI service's turn with its answer. */
    static final class Weather {
        final List<String> cities = new CopyOnWriteArrayList<>();

        @Tool(value = "The current weather in a city", returnBehavior = ReturnBehavior.IMMEDIATE)
        String weather(@P("the city") String city) {
            cities.add(city);
            return "sunny in " + city;
        }
    }

    interface Assistant {
        Result<String> ask(String question);
    }

    record Person(String name, String city) {
    }

    interface Extractor {
        Person extract(String text);
    }

    /** Records what LangChain4j's listener machinery reports. */
    static final class RecordingListener implements ChatModelListener {
        final List<ChatRequest> requests = new CopyOnWriteArrayList<>();
        final List<ChatResponse> responses = new CopyOnWriteArrayList<>();
        final List<Throwable> errors = new CopyOnWriteArrayList<>();

        @Override
        public void onRequest(ChatModelRequestContext context) {
            requests.add(context.chatRequest());
        }

        @Override
        public void onResponse(ChatModelResponseContext context) {
            responses.add(context.chatResponse());
        }

        @Override
        public void onError(ChatModelErrorContext context) {
            errors.add(context.error());
        }
    }

    @Test
    void anAiServiceWithAToolMethodGetsAValidCallThatItExecutes() {
        Weather weather = new Weather();
        RecordingListener listener = new RecordingListener();
        LocalLmChatModel model = LocalLmChatModel.builder().chatModel(chat).listeners(List.of(listener))
                .defaultRequestParameters(ChatRequestParameters.builder().toolChoice(ToolChoice.REQUIRED)
                        .temperature(0.0).maxOutputTokens(200).build()).build();
        Assistant assistant = AiServices.builder(Assistant.class).chatModel(model).tools(weather).build();

        Result<String> result = assistant.ask("What is the weather in Paris?");

        assertThat(weather.cities).hasSize(1);
        assertThat(result.toolExecutions()).singleElement().satisfies(execution -> {
            assertThat(execution.request().name()).isEqualTo("weather");
            JsonNode arguments = JsonMapper.shared().readTree(execution.request().arguments());
            assertThat(arguments.get("city").asString()).isEqualTo(weather.cities.get(0));
            assertThat(execution.result()).isEqualTo("sunny in " + weather.cities.get(0));
        });
        assertThat(listener.requests).singleElement().satisfies(r -> {
            assertThat(r.toolSpecifications()).extracting(ToolSpecification::name).containsExactly("weather");
            assertThat(r.toolChoice()).isEqualTo(ToolChoice.REQUIRED);
            assertThat(r.modelName()).as("listeners see the model's name").isEqualTo(chat.capabilities().modelName());
        });
        assertThat(listener.responses).singleElement().satisfies(r -> {
            assertThat(r.finishReason()).isEqualTo(FinishReason.TOOL_EXECUTION);
            assertThat(r.tokenUsage().inputTokenCount()).isPositive();
            assertThat(r.tokenUsage().outputTokenCount()).isBetween(1, 200);
            assertThat(r.modelName()).isEqualTo(chat.capabilities().modelName());
        });
        assertThat(listener.errors).isEmpty();
    }

    @Test
    void anAiServiceWithARecordReturnTypeSendsTheSchemaAndGetsAValidRecord() {
        RecordingListener listener = new RecordingListener();
        LocalLmChatModel model = LocalLmChatModel.builder().chatModel(chat).listeners(List.of(listener))
                .defaultRequestParameters(ChatRequestParameters.builder().temperature(0.0).build()).build();
        Extractor extractor = AiServices.create(Extractor.class, model);

        Person person = extractor.extract("Lily lives in Paris.");

        assertThat(person).isNotNull();
        ChatRequest sent = listener.requests.get(0);
        assertThat(sent.responseFormat().jsonSchema()).as("AiServices sent a real schema").isNotNull();
        assertThat(((JsonObjectSchema) sent.responseFormat().jsonSchema().rootElement()).properties())
                .containsOnlyKeys("name", "city");
        String json = listener.responses.get(0).aiMessage().text();
        assertThat(LangChain4jMapping.schema(sent.responseFormat().jsonSchema().rootElement()).validate(json))
                .as(json).isEmpty();
        JsonNode parsed = JsonMapper.shared().readTree(json);
        assertThat(person.name()).isEqualTo(parsed.has("name") ? parsed.get("name").asString() : null);
        assertThat(person.city()).isEqualTo(parsed.has("city") ? parsed.get("city").asString() : null);
    }

    @Test
    void aStreamedToolCallArrivesInPiecesThatAddUpToTheCompleteCall() throws Exception {
        try (LocalLmStreamingChatModel model = LocalLmStreamingChatModel.builder().chatModel(chat).build()) {
            ToolSpecification tool = ToolSpecification.builder().name("weather").description("Weather in a city")
                    .parameters(JsonObjectSchema.builder().addStringProperty("city").required("city").build()).build();
            ChatRequest request = ChatRequest.builder().messages(UserMessage.from("Weather in Paris?"))
                    .toolSpecifications(tool).toolChoice(ToolChoice.REQUIRED).temperature(0.0).maxOutputTokens(200)
                    .build();
            List<PartialToolCall> partials = new CopyOnWriteArrayList<>();
            List<CompleteToolCall> completes = new CopyOnWriteArrayList<>();
            CompletableFuture<ChatResponse> done = new CompletableFuture<>();
            model.chat(request, new StreamingChatResponseHandler() {
                @Override
                public void onPartialToolCall(PartialToolCall partialToolCall) {
                    partials.add(partialToolCall);
                }

                @Override
                public void onCompleteToolCall(CompleteToolCall completeToolCall) {
                    completes.add(completeToolCall);
                }

                @Override
                public void onCompleteResponse(ChatResponse response) {
                    done.complete(response);
                }

                @Override
                public void onError(Throwable error) {
                    done.completeExceptionally(error);
                }
            });

            ChatResponse response = done.get(60, TimeUnit.SECONDS);

            assertThat(completes).singleElement().satisfies(c -> {
                assertThat(c.index()).isZero();
                assertThat(c.toolExecutionRequest().name()).isEqualTo("weather");
                assertThat(JsonMapper.shared().readTree(c.toolExecutionRequest().arguments()).has("city")).isTrue();
            });
            assertThat(partials).isNotEmpty().allSatisfy(p -> {
                assertThat(p.index()).isZero();
                assertThat(p.name()).isEqualTo("weather");
                assertThat(p.id()).isEqualTo(completes.get(0).toolExecutionRequest().id());
            });
            assertThat(partials.stream().map(PartialToolCall::partialArguments).collect(Collectors.joining()))
                    .isEqualTo(completes.get(0).toolExecutionRequest().arguments());
            assertThat(response.aiMessage().toolExecutionRequests()).containsExactly(
                    completes.get(0).toolExecutionRequest());
            assertThat(response.finishReason()).isEqualTo(FinishReason.TOOL_EXECUTION);
        }
    }

    @Test
    void aStreamCancelledThroughItsHandleStopsCallingBackAndFreesItsSlot() throws Exception {
        try (ChatModel oneSlot = LocalLm.chatModel("gguf:" + TestModels.require(TestModels.STORIES_CHATML)
                + "?threads=1&ctx=1024&parallel=1");
             LocalLmStreamingChatModel model = LocalLmStreamingChatModel.builder().chatModel(oneSlot).build()) {
            ChatRequest longStory = ChatRequest.builder().messages(UserMessage.from("Tell a long story"))
                    .maxOutputTokens(400).build();
            AtomicInteger pieces = new AtomicInteger();
            java.util.concurrent.CountDownLatch cancelled = new java.util.concurrent.CountDownLatch(1);
            CompletableFuture<String> ended = new CompletableFuture<>();
            model.chat(longStory, new StreamingChatResponseHandler() {
                @Override
                public void onPartialResponse(PartialResponse partial, PartialResponseContext context) {
                    if (pieces.incrementAndGet() == 3) {
                        context.streamingHandle().cancel();
                        cancelled.countDown();
                    }
                }

                @Override
                public void onCompleteResponse(ChatResponse response) {
                    ended.complete("completed");
                }

                @Override
                public void onError(Throwable error) {
                    ended.complete("error " + error);
                }
            });

            assertThat(cancelled.await(60, TimeUnit.SECONDS)).isTrue();
            LocalLmChatModel blocking = LocalLmChatModel.builder().chatModel(oneSlot).build();
            ChatResponse next = blocking.chat(ChatRequest.builder().messages(UserMessage.from("Hi"))
                    .maxOutputTokens(4).build());

            assertThat(next.tokenUsage().outputTokenCount()).as("the one slot was freed").isBetween(1, 4);
            assertThat(pieces.get()).as("no piece after the cancel").isEqualTo(3);
            assertThat(ended).as("neither completion nor error after a cancel").isNotDone();
        }
    }

    @Test
    void aCallbackThatThrowsIsReportedToOnErrorAndTheStreamGoesOn() throws Exception {
        try (LocalLmStreamingChatModel model = LocalLmStreamingChatModel.builder().chatModel(chat).build()) {
            List<Throwable> errors = new CopyOnWriteArrayList<>();
            java.util.concurrent.CountDownLatch reported = new java.util.concurrent.CountDownLatch(2);
            CompletableFuture<ChatResponse> done = new CompletableFuture<>();
            AtomicInteger pieces = new AtomicInteger();
            model.chat(ChatRequest.builder().messages(UserMessage.from("Once upon a time")).maxOutputTokens(12)
                    .build(), new StreamingChatResponseHandler() {
                        @Override
                        public void onPartialResponse(String partialResponse) {
                            if (pieces.incrementAndGet() == 1) {
                                throw new IllegalStateException("the application's own failure");
                            }
                        }

                        @Override
                        public void onCompleteResponse(ChatResponse response) {
                            done.complete(response);
                            throw new IllegalStateException("a failure in onCompleteResponse");
                        }

                        @Override
                        public void onError(Throwable error) {
                            errors.add(error);
                            reported.countDown();
                            throw new IllegalStateException("and onError fails too");
                        }
                    });

            ChatResponse response = done.get(60, TimeUnit.SECONDS);

            assertThat(reported.await(60, TimeUnit.SECONDS)).isTrue();
            assertThat(errors).extracting(Throwable::getMessage).containsExactly("the application's own failure",
                    "a failure in onCompleteResponse");
            assertThat(pieces.get()).isGreaterThan(1);
            assertThat(response.tokenUsage().outputTokenCount()).isBetween(1, 12);
        }
    }

    @Test
    void embeddingsComeOnePerSegmentWithTheModelsDimension() {
        try (LocalLmEmbeddingModel model = LocalLmEmbeddingModel.builder().embeddingModel(embeddings).build()) {
            List<Embedding> vectors = model.embedAll(List.of(TextSegment.from("a cat"), TextSegment.from("a dog"),
                    TextSegment.from("a cat"))).content();

            assertThat(vectors).hasSize(3).allSatisfy(v -> assertThat(v.dimension()).isEqualTo(model.dimension()));
            assertThat(vectors.get(0).vectorAsList()).isEqualTo(vectors.get(2).vectorAsList());
            assertThat(vectors.get(0).vectorAsList()).isNotEqualTo(vectors.get(1).vectorAsList());
            assertThat(model.embed("a cat").content().vectorAsList()).isEqualTo(vectors.get(0).vectorAsList());
        }
    }

    @Test
    void whatALocalModelCannotTakeIsAClearError() {
        LocalLmChatModel model = LocalLmChatModel.builder().chatModel(chat).build();
        assertThatThrownBy(() -> model.chat(ChatRequest.builder().messages(UserMessage.from(TextContent.from("What is "
                + "this?"), ImageContent.from("https://example.com/cat.png"))).build()))
                .isInstanceOf(UnsupportedFeatureException.class).hasMessageContaining("does not support image content");
        assertThatThrownBy(() -> model.chat(ChatRequest.builder().messages(UserMessage.from("Hi"))
                .frequencyPenalty(0.5).build()))
                .isInstanceOf(UnsupportedFeatureException.class)
                .hasMessageContaining("does not support frequency or presence");
        assertThatThrownBy(() -> model.chat(ChatRequest.builder().messages(UserMessage.from("Hi"))
                .modelName("gpt-4o").build()))
                .isInstanceOf(UnsupportedFeatureException.class)
                .hasMessageContaining("does not support the modelName parameter 'gpt-4o'");
        assertThatThrownBy(() -> LocalLmChatModel.builder().build()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("modelUri(...) or chatModel(...)");
    }
}
