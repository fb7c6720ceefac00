package dev.locallm.springai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.locallm.error.InvalidRequestException;
import dev.locallm.testkit.TestModels;
import dev.locallm.tool.ToolChoice;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.ai.chat.client.AdvisorParams;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.messages.UserMessage;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.observation.ChatModelObservationContext;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.content.Media;
import org.springframework.ai.model.tool.ToolCallingManager;
import org.springframework.ai.model.tool.ToolExecutionResult;
import org.springframework.ai.support.ToolCallbacks;
import org.springframework.ai.tool.ToolCallback;
import org.springframework.ai.tool.annotation.Tool;
import org.springframework.ai.tool.annotation.ToolParam;
import org.springframework.util.MimeTypeUtils;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The Spring AI model on the shared stories260K model, through Spring AI's own {@code ChatClient} and tool manager:
 * structure, not wit.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LocalLmSpringAiChatModelTest {
    private static LocalLmSpringAiChatModel model;

    @BeforeAll
    static void load() {
        model = LocalLmSpringAiChatModel.builder()
                .modelUri("gguf:" + TestModels.require(TestModels.STORIES_CHATML) + "?threads=1&ctx=1024")
                .defaultOptions(LocalLmChatOptions.builder().temperature(0.0).maxTokens(24).build()).build();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /** Weather a model asks for, as Spring AI's annotations declare it. */
    static final class WeatherTools {
        final List<String> asked = new ArrayList<>();

        @Tool(description = "The current temperature in a city, in degrees Celsius")
        int temperature(@ToolParam(description = "City name") String city) {
            asked.add(city);
            return 21;
        }
    }

    /** A record the model fills in. */
    record Weather(String city, int temperature) {
    }

    @Test
    void chatClientGetsTheSameTextTwiceWithUsageAndAFinishReason() {
        ChatClient client = ChatClient.create(model);
        ChatResponse first = client.prompt().user("Tell me a story").call().chatResponse();
        ChatResponse second = client.prompt().user("Tell me a story").call().chatResponse();

        assertThat(first.getResult().getOutput().getText()).isNotBlank()
                .isEqualTo(second.getResult().getOutput().getText());
        assertThat(first.getResult().getMetadata().getFinishReason()).isIn("STOP", "LENGTH");
        assertThat(first.getMetadata().getUsage().getPromptTokens()).isPositive();
        assertThat(first.getMetadata().getUsage().getCompletionTokens()).isBetween(1, 24);
        assertThat(first.getMetadata().getModel()).isNotBlank();
    }

    @Test
    void aStreamAddsUpToTheCallAndEndsWithUsage() {
        Prompt prompt = new Prompt("Once upon a time");
        String called = model.call(prompt).getResult().getOutput().getText();

        List<ChatResponse> pieces = model.stream(prompt).collectList().block();

        assertThat(pieces).hasSizeGreaterThan(2);
        StringBuilder text = new StringBuilder();
        pieces.forEach(p -> text.append(p.getResult().getOutput().getText()));
        assertThat(text.toString()).isEqualTo(called);
        ChatResponse last = pieces.get(pieces.size() - 1);
        assertThat(last.getResult().getMetadata().getFinishReason()).isIn("STOP", "LENGTH");
        assertThat(last.getMetadata().getUsage().getCompletionTokens()).isBetween(1, 24);
        assertThat(ChatClient.create(model).prompt(prompt).stream().content().collectList().block())
                .as("ChatClient's stream of text").isNotEmpty();
    }

    @Test
    void cancellingAStreamFreesTheModelForTheNextCall() {
        List<ChatResponse> two = model.stream(new Prompt("Tell me a long story",
                LocalLmChatOptions.builder().maxTokens(200).build())).take(2).collectList().block();

        assertThat(two).hasSize(2);
        assertThat(model.call(new Prompt("Hello")).getResult().getOutput().getText()).isNotBlank();
    }

    @Test
    void nativeStructuredOutputFillsARecordThroughChatClient() {
        Weather weather = ChatClient.create(model).prompt().advisors(AdvisorParams.ENABLE_NATIVE_STRUCTURED_OUTPUT)
                .options(LocalLmChatOptions.builder().maxTokens(96))
                .user("What is the weather in Paris?").call().entity(Weather.class);

        assertThat(weather).isNotNull();
        assertThat(weather.city()).isNotNull();
    }

    @Test
    void aRequiredToolCallRunsThroughSpringAisToolManagerAndTheResultGoesBack() {
        WeatherTools tools = new WeatherTools();
        LocalLmChatOptions options = LocalLmChatOptions.builder().toolCallbacks(ToolCallbacks.from(tools))
                .toolChoice(ToolChoice.REQUIRED).maxTokens(64).build();
        Prompt prompt = new Prompt(List.of(new UserMessage("How warm is it in Paris?")), options);

        ChatResponse call = model.call(prompt);

        AssistantMessage output = call.getResult().getOutput();
        assertThat(output.getToolCalls()).hasSize(1);
        AssistantMessage.ToolCall toolCall = output.getToolCalls().get(0);
        assertThat(toolCall.name()).isEqualTo("temperature");
        JsonNode arguments = JsonMapper.shared().readTree(toolCall.arguments());
        assertThat(arguments.get("city").isString()).as(toolCall.arguments()).isTrue();
        assertThat(call.getResult().getMetadata().getFinishReason()).isEqualTo("TOOL_CALLS");

        ToolExecutionResult executed = ToolCallingManager.builder().build().executeToolCalls(prompt, call);
        assertThat(tools.asked).containsExactly(arguments.get("city").asString());
        List<Message> history = executed.conversationHistory();
        ChatResponse answer = model.call(new Prompt(history, options.mutate().toolChoice(ToolChoice.NONE).build()));
        assertThat(answer.getResult().getOutput().getToolCalls()).isEmpty();
        assertThat(answer.getResult().getMetadata().getFinishReason()).isIn("STOP", "LENGTH");
        int question = model.call(new Prompt("How warm is it in Paris?")).getMetadata().getUsage().getPromptTokens();
        assertThat(answer.getMetadata().getUsage().getPromptTokens())
                .as("the call and its result are in the prompt").isGreaterThan(question + 5);
    }

    @Test
    void whatTheModelCannotTakeIsRefusedWithTheParameterNamed() {
        assertThatThrownBy(() -> model.call(new Prompt("Hi", ChatOptions.builder().frequencyPenalty(0.5).build())))
                .isInstanceOfSatisfying(InvalidRequestException.class,
                        e -> assertThat(e.parameter()).isEqualTo("frequencyPenalty"));
        assertThatThrownBy(() -> model.call(new Prompt("Hi", ChatOptions.builder().model("gpt-4o").build())))
                .isInstanceOfSatisfying(InvalidRequestException.class,
                        e -> assertThat(e.parameter()).isEqualTo("model"));
        UserMessage withImage = UserMessage.builder().text("What is this?")
                .media(new Media(MimeTypeUtils.IMAGE_PNG, java.net.URI.create("https://example.com/a.png"))).build();
        assertThatThrownBy(() -> model.call(new Prompt(List.of(withImage))))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("media");
        assertThatThrownBy(() -> model.call(new Prompt("Hi", LocalLmChatOptions.builder().outputSchema("{not json")
                .build()))).isInstanceOfSatisfying(InvalidRequestException.class,
                        e -> assertThat(e.parameter()).isEqualTo("outputSchema"));
    }

    @Test
    void defaultToolsAndStopsReachTheModelOnceThroughChatClientAndRuntimeOnesReplaceThem() {
        ToolCallback[] weather = ToolCallbacks.from(new WeatherTools());
        LocalLmSpringAiChatModel withTools = LocalLmSpringAiChatModel.builder().chatModel(model.localLmModel())
                .defaultOptions(LocalLmChatOptions.builder().toolCallbacks(weather).stopSequences(List.of("END"))
                        .maxTokens(8).build()).build();

        assertThat(ChatClient.create(withTools).prompt().user("Hello").call().content()).isNotNull();

        LocalLmChatOptions defaults = withTools.getOptions();
        assertThat(defaults.overriddenBy(defaults)).isEqualTo(defaults);
        ToolCallback other = ToolCallbacks.from(new Object() {
            @Tool(description = "The time")
            String time() {
                return "noon";
            }
        })[0];
        LocalLmChatOptions runtime = defaults.overriddenBy(LocalLmChatOptions.builder().toolCallbacks(other)
                .stopSequences(List.of("STOP")).build());
        assertThat(runtime.getToolCallbacks()).containsExactly(other);
        assertThat(runtime.getStopSequences()).containsExactly("STOP");
        assertThat(runtime.getMaxTokens()).isEqualTo(8);
    }

    @Test
    void callsAndStreamsAreObservedAsSpringAisOwnModelsAre() {
        List<ChatModelObservationContext> stopped = new CopyOnWriteArrayList<>();
        ObservationRegistry registry = ObservationRegistry.create();
        registry.observationConfig().observationHandler(new ObservationHandler<>() {
            @Override
            public boolean supportsContext(Observation.Context context) {
                return context instanceof ChatModelObservationContext;
            }

            @Override
            public void onStop(Observation.Context context) {
                stopped.add((ChatModelObservationContext) context);
            }
        });
        LocalLmSpringAiChatModel observed = LocalLmSpringAiChatModel.builder().chatModel(model.localLmModel())
                .defaultOptions(model.getOptions()).observationRegistry(registry).build();

        observed.call(new Prompt("Hello"));
        observed.stream(new Prompt("Hello")).blockLast();

        assertThat(stopped).hasSize(2).allSatisfy(context -> {
            assertThat(context.getName()).isEqualTo("gen_ai.client.operation");
            assertThat(context.getLowCardinalityKeyValue("gen_ai.system").getValue()).isEqualTo("locallm");
            assertThat(context.getResponse().getMetadata().getUsage().getCompletionTokens()).isBetween(1, 24);
        });
        assertThat(stopped.get(1).isStreaming()).isTrue();
    }

    @Test
    void optionsMergeOverTheDefaultsAndMutateKeepsLocalLmsOwn() {
        LocalLmChatOptions options = LocalLmChatOptions.builder().seed(7L).toolChoice(ToolChoice.NONE)
                .outputSchema("{\"type\":\"object\"}").topK(5).toolContext(Map.of("k", "v")).build();

        LocalLmChatOptions merged = model.getOptions().mutate().combineWith(options.mutate()).build();

        assertThat(merged.getTemperature()).isEqualTo(0.0);
        assertThat(merged.getMaxTokens()).isEqualTo(24);
        assertThat(merged.getTopK()).isEqualTo(5);
        assertThat(merged.getSeed()).isEqualTo(7L);
        assertThat(merged.getToolChoice()).isEqualTo(ToolChoice.NONE);
        assertThat(merged.getOutputSchema()).isEqualTo("{\"type\":\"object\"}");
        assertThat(options.mutate().build()).isEqualTo(options).hasSameHashCodeAs(options);
    }
}
