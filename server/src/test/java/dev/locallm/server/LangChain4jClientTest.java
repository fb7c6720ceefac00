package dev.locallm.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.model.chat.request.json.JsonIntegerSchema;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.request.json.JsonSchema;
import dev.langchain4j.model.chat.request.json.JsonStringSchema;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiEmbeddingModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.langchain4j.model.output.FinishReason;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** LangChain4j's OpenAI module talks to the server running a real model. */
class LangChain4jClientTest {
    private static ServingFixture fixture;
    private static OpenAiChatModel chat;

    @BeforeAll
    static void start() {
        fixture = ServingFixture.start();
        chat = OpenAiChatModel.builder().baseUrl(fixture.baseUrl()).apiKey(ServingFixture.KEY)
                .modelName(ServingFixture.CHAT).temperature(0.0).seed(11).maxRetries(0)
                .timeout(Duration.ofSeconds(60)).build();
    }

    @AfterAll
    static void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    private static ChatRequest story() {
        return ChatRequest.builder().messages(SystemMessage.from("You tell short stories."),
                UserMessage.from("Once upon a time")).maxOutputTokens(24).build();
    }

    @Test
    void blockingChatHasTextUsageAndFinishReason() {
        ChatResponse response = chat.chat(story());

        assertThat(response.aiMessage().text()).isNotBlank();
        assertThat(response.tokenUsage().inputTokenCount()).isPositive();
        assertThat(response.tokenUsage().outputTokenCount()).isBetween(1, 24);
        assertThat(response.finishReason()).isIn(FinishReason.LENGTH, FinishReason.STOP);
        assertThat(response.modelName()).isEqualTo(ServingFixture.CHAT);
        assertThat(chat.chat(story()).aiMessage().text()).isEqualTo(response.aiMessage().text());
    }

    @Test
    void streamingMatchesBlockingAndReportsUsage() throws Exception {
        String blocking = chat.chat(story()).aiMessage().text();
        OpenAiStreamingChatModel streaming = OpenAiStreamingChatModel.builder().baseUrl(fixture.baseUrl())
                .apiKey(ServingFixture.KEY).modelName(ServingFixture.CHAT).temperature(0.0)
                .seed(11).timeout(Duration.ofSeconds(60)).build();
        List<String> partials = new CopyOnWriteArrayList<>();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        streaming.chat(story(), new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partialResponse) {
                partials.add(partialResponse);
            }

            @Override
            public void onCompleteResponse(ChatResponse completeResponse) {
                done.complete(completeResponse);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        ChatResponse response = done.get(60, TimeUnit.SECONDS);

        assertThat(partials).hasSizeGreaterThan(1);
        assertThat(String.join("", partials)).isEqualTo(blocking);
        assertThat(response.aiMessage().text()).isEqualTo(blocking);
        assertThat(response.tokenUsage()).isNotNull();
        assertThat(response.tokenUsage().outputTokenCount()).isPositive();
    }

    @Test
    void requiredToolChoiceGivesAToolExecutionRequest() {
        ToolSpecification weather = ToolSpecification.builder().name("get_weather")
                .description("Current weather in a city")
                .parameters(JsonObjectSchema.builder().addEnumProperty("city", java.util.List.of("Paris", "Oslo", "Lima"))
                        .required("city").build()).build();
        ChatResponse response = chat.chat(ChatRequest.builder()
                .messages(UserMessage.from("What is the weather in Paris?")).toolSpecifications(weather)
                .toolChoice(ToolChoice.REQUIRED).maxOutputTokens(300).build());

        assertThat(response.aiMessage().hasToolExecutionRequests()).isTrue();
        ToolExecutionRequest call = response.aiMessage().toolExecutionRequests().get(0);
        assertThat(call.name()).isEqualTo("get_weather");
        assertThat(call.id()).isNotBlank();
        JsonNode arguments = JsonMapper.shared().readTree(call.arguments());
        assertThat(arguments.get("city").isString()).isTrue();
        assertThat(response.finishReason()).isEqualTo(FinishReason.TOOL_EXECUTION);
    }

    @Test
    void jsonSchemaResponseFormatGivesMatchingJson() {
        JsonSchema schema = JsonSchema.builder().name("person").rootElement(JsonObjectSchema.builder()
                .addProperty("name", JsonStringSchema.builder().build())
                .addProperty("age", JsonIntegerSchema.builder().build())
                .required("name", "age").additionalProperties(false).build()).build();
        ChatResponse response = chat.chat(ChatRequest.builder().messages(UserMessage.from("A person as JSON"))
                .responseFormat(ResponseFormat.builder().type(ResponseFormatType.JSON).jsonSchema(schema).build())
                .maxOutputTokens(150).build());

        JsonNode person = JsonMapper.shared().readTree(response.aiMessage().text());
        assertThat(person.get("name").isString()).isTrue();
        assertThat(person.get("age").isIntegralNumber()).isTrue();
        assertThat(person.propertyNames()).containsExactlyInAnyOrder("name", "age");
    }

    @Test
    void embeddingsMatchTheInProcessModel() {
        OpenAiEmbeddingModel embeddings = OpenAiEmbeddingModel.builder().baseUrl(fixture.baseUrl())
                .apiKey(ServingFixture.KEY).modelName(ServingFixture.EMBED).build();

        List<Embedding> vectors = embeddings.embedAll(List.of(TextSegment.from("a cat"), TextSegment.from("a dog")))
                .content();

        assertThat(vectors).hasSize(2);
        assertThat(vectors.get(0).vector()).containsExactly(fixture.embeddingModel.embed("a cat"));
        assertThat(vectors.get(1).vector()).containsExactly(fixture.embeddingModel.embed("a dog"));
    }
}
