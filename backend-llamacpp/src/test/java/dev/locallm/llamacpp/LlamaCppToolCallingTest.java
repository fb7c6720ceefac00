package dev.locallm.llamacpp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.locallm.ChatModel;
import dev.locallm.LocalLm;
import dev.locallm.agent.ToolLoop;
import dev.locallm.agent.ToolMethods;
import dev.locallm.chat.ChatMessage;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.ChatResponse;
import dev.locallm.chat.FinishReason;
import dev.locallm.chat.ToolResultMessage;
import dev.locallm.chat.TruncationPolicy;
import dev.locallm.chat.UserMessage;
import dev.locallm.engine.toolcall.ToolCallFormat;
import dev.locallm.schema.Description;
import dev.locallm.testkit.RecordingStreamHandler;
import dev.locallm.testkit.TestModels;
import dev.locallm.tool.Tool;
import dev.locallm.tool.ToolCall;
import dev.locallm.tool.ToolCallDelta;
import dev.locallm.tool.ToolChoice;
import dev.locallm.tool.ToolSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Tool calling on the real stories260K model: with a forced choice, the grammar makes it call correctly. */
@Timeout(300)
class LlamaCppToolCallingTest {

    static class WeatherTools {
        @Tool(value = "Current temperature in a city, in degrees Celsius", parameterNames = {"city", "unit"})
        int temperature(@Description("City name") String city, Optional<String> unit) {
            return city.length();
        }

        @Tool(value = "Local time in a city", parameterNames = "city")
        String time(String city) {
            return "12:00";
        }
    }

    private static final ToolMethods TOOLS = ToolMethods.of(new WeatherTools());

    /** Templates in the style of each model family, written for these tests. */
    static final String HERMES_TEMPLATE = "{%- if tools %}{{- '<|im_start|>system\\n# Tools\\n<tools>' }}"
            + "{%- for tool in tools %}{{- '\\n' }}{{- tool | tojson }}{%- endfor %}{{- '\\n</tools>\\nCall a tool with "
            + "<tool_call>\\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\\n</tool_call><|im_end|>\\n' }}"
            + "{%- endif %}{%- for m in messages %}{{- '<|im_start|>' + m.role + '\\n' + m.content + '<|im_end|>\\n' }}"
            + "{%- endfor %}{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";
    static final String MISTRAL_TEMPLATE = "{{ bos_token }}{% if tools %}[AVAILABLE_TOOLS]{{ tools | tojson }}"
            + "[/AVAILABLE_TOOLS]{% endif %}{% for m in messages %}{% if m.role == 'user' %}[INST]{{ m.content }}[/INST]"
            + "{% elif m.tool_calls %}[TOOL_CALLS]{{ m.tool_calls | tojson }}{{ eos_token }}{% else %}{{ m.content }}"
            + "{% endif %}{% endfor %}";
    static final String LLAMA3_TEMPLATE = "{{- bos_token }}{% if tools %}<|start_header_id|>system<|end_header_id|>\\n\\n"
            + "Environment: ipython\\n{% for t in tools %}{{ t | tojson(indent=4) }}\\n\\n{% endfor %}<|eot_id|>{% endif %}"
            + "{% for m in messages %}<|start_header_id|>{{ m.role }}<|end_header_id|>\\n\\n{{ m.content }}<|eot_id|>"
            + "{% endfor %}<|start_header_id|>assistant<|end_header_id|>\\n\\n";

    static ChatModel open(String template) {
        LlamaCppOptions.Builder options = LlamaCppOptions.builder().threads(1).contextSize(2048).parallel(2);
        if (template != null) {
            options.chatTemplate(template);
        }
        return LocalLm.builder().model(TestModels.require(TestModels.STORIES_CHATML).toString())
                .backendOptions(options.build()).buildChatModel();
    }

    static ChatRequest ask(ToolChoice choice, long seed) {
        return ChatRequest.builder().user("What is the weather in Paris?").tools(TOOLS.specs()).toolChoice(choice)
                .truncationPolicy(TruncationPolicy.CLOSE_JSON)
                .options(o -> o.temperature(0.9).seed(seed).maxTokens(200)).build();
    }

    static Stream<Arguments> templates() {
        return Stream.of(Arguments.of("model's ChatML template (fallback prompt)", null, ToolCallFormat.HERMES),
                Arguments.of("Hermes-style template", HERMES_TEMPLATE, ToolCallFormat.HERMES),
                Arguments.of("Mistral-style template", MISTRAL_TEMPLATE, ToolCallFormat.MISTRAL),
                Arguments.of("Llama-3-style template", LLAMA3_TEMPLATE, ToolCallFormat.LLAMA3));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("templates")
    void requiredChoiceAlwaysYieldsValidCallsThatRun(String label, String template, ToolCallFormat format) {
        try (ChatModel model = open(template)) {
            for (long seed = 0; seed < 5; seed++) {
                ChatResponse r = model.chat(ask(ToolChoice.REQUIRED, seed));
                assertThat(r.finishReason()).isEqualTo(FinishReason.TOOL_CALLS);
                assertThat(r.toolCalls()).isNotEmpty();
                for (ToolCall call : r.toolCalls()) {
                    ToolSpec spec = TOOLS.specs().stream().filter(t -> t.name().equals(call.name())).findFirst()
                            .orElseThrow();
                    assertThat(spec.parameters().validate(call.arguments())).isEmpty();
                    assertThat(TOOLS.execute(call).text()).isNotBlank();
                    if (format == ToolCallFormat.MISTRAL) {
                        assertThat(call.id()).matches("[A-Za-z0-9]{9}");
                    }
                }
            }
        }
    }

    @Test
    void twentyOfTwentySeededRunsWithRequiredCallOneOfTwoToolsAndNoneNeverCalls() {
        try (ChatModel model = open(HERMES_TEMPLATE)) {
            int valid = 0;
            for (long seed = 100; seed < 120; seed++) {
                ChatResponse r = model.chat(ask(ToolChoice.REQUIRED, seed));
                if (r.finishReason() == FinishReason.TOOL_CALLS && !r.toolCalls().isEmpty()
                        && r.toolCalls().stream().allMatch(c -> List.of("temperature", "time").contains(c.name())
                        && spec(c.name()).parameters().validate(c.arguments()).isEmpty())) {
                    valid++;
                }
                assertThat(model.chat(ask(ToolChoice.NONE, seed)).toolCalls()).isEmpty();
            }
            assertThat(valid).isEqualTo(20);
        }
    }

    private static ToolSpec spec(String name) {
        return TOOLS.specs().stream().filter(t -> t.name().equals(name)).findFirst().orElseThrow();
    }

    /** Two tools, one of which fails. */
    static class TravelTools {
        final List<String> called = new ArrayList<>();

        @Tool(value = "Current temperature in a city", parameterNames = "city")
        int temperature(String city) {
            called.add("temperature");
            return 21;
        }

        @Tool(value = "Train departures from a city", parameterNames = "city")
        String departures(String city) {
            called.add("departures");
            throw new IllegalStateException("timetable service unavailable");
        }
    }

    @Test
    void toolLoopRunsBothToolsAndSurvivesAToolThatThrows() {
        try (ChatModel model = open(HERMES_TEMPLATE)) {
            TravelTools travel = new TravelTools();
            for (ToolChoice first : List.of(ToolChoice.named("departures"), ToolChoice.named("temperature"),
                    ToolChoice.REQUIRED)) {
                ToolLoop loop = ToolLoop.builder(model.with(o -> o.maxTokens(120).temperature(0.9)))
                        .tools(travel).firstChoice(first).maxRounds(3).build();
                ToolLoop.Result result = loop.run(ChatRequest.builder().user("Weather and trains in Paris?")
                        .truncationPolicy(TruncationPolicy.CLOSE_JSON).options(o -> o.seed(4)).build());
                assertThat(result.rounds()).isBetween(1, 3);
                assertThat(result.answer().finishReason()).isNotEqualTo(FinishReason.TOOL_CALLS);
                assertThat(result.conversation()).filteredOn(m -> m instanceof ToolResultMessage).isNotEmpty();
                result.conversation().stream().filter(m -> m instanceof ToolResultMessage t
                        && t.toolName().equals("departures")).forEach(m ->
                        assertThat(m.text()).contains("timetable service unavailable"));
            }
            assertThat(travel.called).contains("temperature", "departures");
        }
    }

    @Test
    void namedChoiceCallsThatTool() {
        try (ChatModel model = open(HERMES_TEMPLATE)) {
            for (long seed = 0; seed < 3; seed++) {
                assertThat(model.chat(ask(ToolChoice.named("time"), seed)).toolCalls())
                        .isNotEmpty().allMatch(c -> c.name().equals("time"));
            }
        }
    }

    @Test
    void noneChoiceNeitherShowsNorParsesTools() {
        try (ChatModel model = open(HERMES_TEMPLATE)) {
            ChatResponse r = model.chat(ask(ToolChoice.NONE, 1));
            assertThat(r.toolCalls()).isEmpty();
            assertThat(r.finishReason()).isNotEqualTo(FinishReason.TOOL_CALLS);
        }
    }

    @Test
    void streamedCallDeltasAddUpAndAConversationContinuesWithResults() {
        try (ChatModel model = open(HERMES_TEMPLATE)) {
            var recorder = new RecordingStreamHandler();
            model.chatStream(ask(ToolChoice.REQUIRED, 11), recorder);
            recorder.assertExhausted();
            List<ToolCallDelta> deltas = recorder.toolCallDeltas();
            ChatResponse r = recorder.completion();
            ToolCall first = r.toolCalls().get(0);
            assertThat(deltas.get(0).id()).isEqualTo(first.id());
            assertThat(deltas.get(0).name()).isEqualTo(first.name());
            assertThat(deltas.stream().filter(d -> d.index() == 0).map(ToolCallDelta::arguments)
                    .collect(Collectors.joining())).isEqualTo(first.arguments());
            // the results go back and the model answers in text
            List<ChatMessage> conversation = new ArrayList<>(List.of(UserMessage.of("What is the weather in Paris?"),
                    r.message()));
            r.toolCalls().forEach(c -> conversation.add(TOOLS.execute(c)));
            ChatResponse answer = model.chat(ChatRequest.builder().messages(conversation).tools(TOOLS.specs())
                    .toolChoice(ToolChoice.NONE).options(o -> o.maxTokens(16).seed(2)).build());
            assertThat(answer.text()).isNotEmpty();
        }
    }

    @Test
    void toolsReachTheTemplateOrTheFallbackPrompt() {
        ChatRequest request = ask(ToolChoice.AUTO, 1);
        try (LlamaCppChatEngine hermes = LlamaCppChatEngine.open(TestModels.require(TestModels.STORIES_CHATML),
                LlamaCppOptions.builder().threads(1).contextSize(2048).chatTemplate(HERMES_TEMPLATE).build())) {
            String prompt = hermes.renderPrompt(request);
            assertThat(prompt).contains("# Tools\n<tools>\n{\"type\": \"function\", \"function\": {\"name\": ");
            assertThat(prompt).doesNotContain("You can call these tools");
        }
        try (LlamaCppChatEngine plain = LlamaCppChatEngine.open(TestModels.require(TestModels.STORIES_CHATML),
                LlamaCppOptions.builder().threads(1).contextSize(2048).build())) {
            assertThat(plain.renderPrompt(request)).startsWith("<|im_start|>system\nYou can call these tools.")
                    .contains("\"name\":\"temperature\"");
            assertThat(plain.renderPrompt(ChatRequest.of("hi"))).doesNotContain("tools");
        }
    }
}
