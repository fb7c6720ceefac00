package dev.locallm.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.NotFoundException;
import com.openai.errors.UnauthorizedException;
import com.openai.helpers.ChatCompletionAccumulator;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.ResponseFormatJsonSchema;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionFunctionTool;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import com.openai.models.chat.completions.ChatCompletionMessageToolCall;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.chat.completions.ChatCompletionToolChoiceOption;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionChoice;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import dev.locallm.schema.JsonSchema;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The official OpenAI Java SDK talks to the server running a real model. */
@SuppressWarnings("deprecation") // seed is deprecated by OpenAI, but honoured here
class OpenAiJavaClientTest {
    private static ServingFixture fixture;
    private static OpenAIClient client;

    @BeforeAll
    static void start() {
        fixture = ServingFixture.start();
        client = OpenAIOkHttpClient.builder().baseUrl(fixture.baseUrl()).apiKey(ServingFixture.KEY).maxRetries(0)
                .timeout(Duration.ofSeconds(60)).build();
    }

    @AfterAll
    static void stop() {
        if (client != null) {
            client.close();
        }
        if (fixture != null) {
            fixture.close();
        }
    }

    private static ChatCompletionCreateParams.Builder storyRequest() {
        return ChatCompletionCreateParams.builder().model(ServingFixture.CHAT)
                .addSystemMessage("You tell short stories.").addUserMessage("Once upon a time")
                .maxCompletionTokens(24).temperature(0.0).seed(7L);
    }

    @Test
    void blockingChatReturnsTheModelsTokensWithUsage() {
        ChatCompletion completion = client.chat().completions().create(storyRequest().build());

        assertThat(completion.id()).startsWith("chatcmpl-");
        assertThat(completion.model()).isEqualTo(ServingFixture.CHAT);
        assertThat(completion.choices()).hasSize(1);
        ChatCompletion.Choice choice = completion.choices().get(0);
        assertThat(choice.message().content()).get().asString().isNotBlank();
        assertThat(choice.finishReason()).isIn(ChatCompletion.Choice.FinishReason.LENGTH,
                ChatCompletion.Choice.FinishReason.STOP);
        assertThat(completion.usage()).get().satisfies(u -> {
            assertThat(u.promptTokens()).isPositive();
            assertThat(u.completionTokens()).isBetween(1L, 24L);
            assertThat(u.totalTokens()).isEqualTo(u.promptTokens() + u.completionTokens());
        });
        String again = client.chat().completions().create(storyRequest().build()).choices().get(0).message()
                .content().orElseThrow();
        assertThat(again).as("same seed, greedy: same text").isEqualTo(choice.message().content().orElseThrow());
        assertThat(again).isEqualTo(fixture.chatModel.chat(dev.locallm.chat.ChatRequest.builder()
                .system("You tell short stories.").user("Once upon a time")
                .options(o -> o.maxTokens(24).temperature(0.0).seed(7L)).build()).text());
    }

    @Test
    void streamingDeliversTheSameTextAndEndsWithUsage() {
        String blocking = client.chat().completions().create(storyRequest().build()).choices().get(0).message()
                .content().orElseThrow();
        ChatCompletionAccumulator accumulator = ChatCompletionAccumulator.create();
        List<ChatCompletionChunk> chunks = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(storyRequest()
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
            stream.stream().forEach(chunk -> {
                chunks.add(chunk);
                accumulator.accumulate(chunk);
            });
        }

        assertThat(chunks).hasSizeGreaterThan(3);
        assertThat(chunks).extracting(ChatCompletionChunk::id).containsOnly(chunks.get(0).id());
        assertThat(chunks.get(chunks.size() - 1).choices()).isEmpty();
        assertThat(chunks.get(chunks.size() - 1).usage()).get()
                .satisfies(u -> assertThat(u.completionTokens()).isPositive());
        ChatCompletion assembled = accumulator.chatCompletion();
        assertThat(assembled.choices().get(0).message().content()).contains(blocking);
        assertThat(assembled.choices().get(0).finishReason()).isNotNull();
    }

    @Test
    void requiredToolChoiceYieldsAValidToolCall() {
        ChatCompletionFunctionTool weather = ChatCompletionFunctionTool.builder().function(FunctionDefinition
                .builder().name("get_weather").description("Current weather in a city")
                .parameters(FunctionParameters.builder()
                        .putAdditionalProperty("type", JsonValue.from("object"))
                        .putAdditionalProperty("properties", JsonValue.from(Map.of(
                                "city", Map.of("type", "string", "maxLength", 20),
                                "unit", Map.of("type", "string", "enum", List.of("celsius", "fahrenheit")))))
                        .putAdditionalProperty("required", JsonValue.from(List.of("city", "unit")))
                        .build())
                .build()).build();
        ChatCompletion completion = client.chat().completions().create(ChatCompletionCreateParams.builder()
                .model(ServingFixture.CHAT).addUserMessage("What is the weather in Paris?").addTool(weather)
                .toolChoice(ChatCompletionToolChoiceOption.Auto.REQUIRED).maxCompletionTokens(200).seed(1L)
                .build());

        ChatCompletion.Choice choice = completion.choices().get(0);
        assertThat(choice.finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.TOOL_CALLS);
        List<ChatCompletionMessageToolCall> calls = choice.message().toolCalls().orElseThrow();
        assertThat(calls).isNotEmpty();
        ChatCompletionMessageFunctionToolCall.Function call = calls.get(0).asFunction().function();
        assertThat(call.name()).isEqualTo("get_weather");
        JsonNode arguments = JsonMapper.shared().readTree(call.arguments());
        assertThat(arguments.get("city").isString()).isTrue();
        assertThat(arguments.get("unit").asString()).isIn("celsius", "fahrenheit");
        assertThat(calls.get(0).asFunction().id()).isNotBlank();
    }

    @Test
    void jsonSchemaResponseValidates() {
        Map<String, Object> schema = Map.of("type", "object",
                "properties", Map.of("name", Map.of("type", "string", "maxLength", 16),
                        "age", Map.of("type", "integer", "minimum", 0, "maximum", 120)),
                "required", List.of("name", "age"), "additionalProperties", false);
        ChatCompletion completion = client.chat().completions().create(ChatCompletionCreateParams.builder()
                .model(ServingFixture.CHAT).addUserMessage("Describe a person as JSON.").maxCompletionTokens(120)
                .seed(3L).responseFormat(ResponseFormatJsonSchema.builder().jsonSchema(
                        ResponseFormatJsonSchema.JsonSchema.builder().name("person").strict(true)
                                .schema(ResponseFormatJsonSchema.JsonSchema.Schema.builder()
                                        .putAllAdditionalProperties(Map.of(
                                                "type", JsonValue.from("object"),
                                                "properties", JsonValue.from(schema.get("properties")),
                                                "required", JsonValue.from(schema.get("required")),
                                                "additionalProperties", JsonValue.from(false)))
                                        .build())
                                .build()).build())
                .build());

        String text = completion.choices().get(0).message().content().orElseThrow();
        JsonSchema compiled = JsonSchema.parse(JsonMapper.shared().writeValueAsString(schema));
        assertThat(compiled.validate(text)).isEmpty();
    }

    @Test
    void embeddingsHaveOneVectorPerInput() {
        CreateEmbeddingResponse response = client.embeddings().create(EmbeddingCreateParams.builder()
                .model(ServingFixture.EMBED).inputOfArrayOfStrings(List.of("a cat", "a dog", "a cat")).build());

        assertThat(response.data()).hasSize(3);
        assertThat(response.data()).extracting(e -> e.index()).containsExactly(0L, 1L, 2L);
        List<Float> first = response.data().get(0).embedding();
        assertThat(first).hasSize(fixture.embeddingModel.dimension());
        assertThat(response.data().get(2).embedding()).isEqualTo(first);
        assertThat(response.data().get(1).embedding()).isNotEqualTo(first);
        float[] direct = fixture.embeddingModel.embed("a cat");
        assertThat(first.get(0)).isCloseTo(direct[0], org.assertj.core.data.Offset.offset(1e-5f));
    }

    @Test
    void legacyCompletionsContinueTheRawPromptBlockingAndStreamed() {
        CompletionCreateParams params = CompletionCreateParams.builder().model(ServingFixture.CHAT)
                .prompt("Once upon a time").maxTokens(20).temperature(0.0).seed(3L).build();
        Completion completion = client.completions().create(params);

        assertThat(completion.id()).startsWith("cmpl-");
        String text = completion.choices().get(0).text();
        assertThat("Once upon a time" + text).startsWith("Once upon a time, there was a little girl named Lily.");
        assertThat(completion.choices().get(0).finishReason()).isEqualTo(CompletionChoice.FinishReason.LENGTH);
        assertThat(completion.usage()).get().satisfies(u -> assertThat(u.completionTokens()).isEqualTo(20));

        StringBuilder streamed = new StringBuilder();
        try (StreamResponse<Completion> stream = client.completions().createStreaming(params)) {
            stream.stream().forEach(c -> c.choices().forEach(choice -> streamed.append(choice.text())));
        }
        assertThat(streamed.toString()).isEqualTo(text);
    }

    @Test
    void listsModelsAndReportsErrorsAsTypedExceptions() {
        assertThat(client.models().list().data()).extracting(m -> m.id())
                .contains(ServingFixture.CHAT, ServingFixture.EMBED);
        assertThatThrownBy(() -> client.chat().completions().create(storyRequest().model("gpt-4o").build()))
                .isInstanceOf(NotFoundException.class).hasMessageContaining("gpt-4o").hasMessageContaining("does not exist");
        OpenAIClient wrongKey = OpenAIOkHttpClient.builder().baseUrl(fixture.baseUrl()).apiKey("nope")
                .maxRetries(0).build();
        try {
            assertThatThrownBy(() -> wrongKey.chat().completions().create(storyRequest().build()))
                    .isInstanceOf(UnauthorizedException.class);
        } finally {
            wrongKey.close();
        }
    }
}
