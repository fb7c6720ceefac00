package dev.locallm.engine.toolcall;

import static org.assertj.core.api.Assertions.assertThat;

import dev.locallm.tool.ToolCall;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ToolCallParserTest {
    private static final Set<String> TOOLS = Set.of("get_weather", "get_time");

    @Test
    void hermesBlocksWithTextBeforeThemAndSeveralCalls() {
        String text = "Let me check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n"
                + "</tool_call>\n<tool_call>{\"name\":\"get_time\",\"arguments\":{\"city\":\"Oslo\",\"tz\":{\"a\":[1]}}}"
                + "</tool_call>";
        ToolCallParser.Scan s = ToolCallParser.parse(text, ToolCallFormat.HERMES, TOOLS);
        assertThat(s.content()).isEqualTo("Let me check.");
        List<ToolCall> calls = s.toolCalls(ToolCallFormat.HERMES);
        assertThat(calls).extracting(ToolCall::name).containsExactly("get_weather", "get_time");
        assertThat(calls).extracting(ToolCall::arguments)
                .containsExactly("{\"city\": \"Paris\"}", "{\"city\":\"Oslo\",\"tz\":{\"a\":[1]}}");
        assertThat(calls).allSatisfy(c -> assertThat(c.id()).matches("call_[A-Za-z0-9]{24}"));
    }

    @Test
    void mistralArrays() {
        String text = "[TOOL_CALLS][{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Rome\"}}, "
                + "{\"name\": \"get_time\", \"arguments\": {}}]";
        List<ToolCall> calls = ToolCallParser.parse(text, ToolCallFormat.MISTRAL, TOOLS).toolCalls(ToolCallFormat.MISTRAL);
        assertThat(calls).extracting(ToolCall::arguments).containsExactly("{\"city\": \"Rome\"}", "{}");
        assertThat(calls.get(0).id()).matches("[A-Za-z0-9]{9}");
    }

    static Stream<Arguments> wholeReplies() {
        return Stream.of(
                Arguments.of("{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Lima\"}}", ToolCallFormat.LLAMA3),
                Arguments.of("<|python_tag|>{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Lima\"}}",
                        ToolCallFormat.LLAMA3),
                Arguments.of("{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Lima\"}}", ToolCallFormat.JSON),
                Arguments.of("```json\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Lima\"}}\n```",
                        ToolCallFormat.JSON));
    }

    @ParameterizedTest
    @MethodSource("wholeReplies")
    void wholeReplyFormats(String text, ToolCallFormat format) {
        List<ToolCall> calls = ToolCallParser.parse(text, format, TOOLS).toolCalls(format);
        assertThat(calls).singleElement().satisfies(c -> {
            assertThat(c.name()).isEqualTo("get_weather");
            assertThat(c.arguments()).isEqualTo("{\"city\": \"Lima\"}");
        });
    }

    @Test
    void otherFormatsAreTriedWhenThePreferredFindsNothing() {
        String text = "<tool_call>{\"name\": \"get_time\", \"arguments\": {\"city\": \"Oslo\"}}</tool_call>";
        assertThat(ToolCallParser.parse(text, ToolCallFormat.LLAMA3, TOOLS).toolCalls(ToolCallFormat.LLAMA3))
                .extracting(ToolCall::name).containsExactly("get_time");
    }

    @Test
    void unknownToolsPlainTextAndBrokenJsonAreNotCalls() {
        assertThat(ToolCallParser.parse("{\"name\": \"rm_rf\", \"arguments\": {}}", ToolCallFormat.JSON, TOOLS).calls())
                .isEmpty();
        assertThat(ToolCallParser.parse("The weather is fine.", ToolCallFormat.HERMES, TOOLS).content())
                .isEqualTo("The weather is fine.");
        assertThat(ToolCallParser.parse("<tool_call>{\"name\": \"get_time\", \"arguments\": {\"city\": ",
                ToolCallFormat.HERMES, TOOLS).toolCalls(ToolCallFormat.HERMES)).isEmpty();
    }

    @Test
    void inProgressCallsReportNameAndArgumentsSoFar() {
        String partial = "<tool_call>{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Par";
        ToolCallParser.Found f = ToolCallParser.scan(partial, ToolCallFormat.HERMES, TOOLS).calls().get(0);
        assertThat(f.name()).isEqualTo("get_weather");
        assertThat(f.arguments()).isEqualTo("{\"city\": \"Par");
        assertThat(f.complete()).isFalse();
    }

    @Test
    void formatDetectionFromTemplates() {
        assertThat(ToolCallFormat.detect("{{- '<tool_call>\\n' }}")).isEqualTo(ToolCallFormat.HERMES);
        assertThat(ToolCallFormat.detect("[TOOL_CALLS] {{ tool_calls }}")).isEqualTo(ToolCallFormat.MISTRAL);
        assertThat(ToolCallFormat.detect("<|start_header_id|>ipython<|end_header_id|>")).isEqualTo(ToolCallFormat.LLAMA3);
        assertThat(ToolCallFormat.detect("{% for t in tools %}{{ t | tojson }}{% endfor %}")).isEqualTo(ToolCallFormat.JSON);
        assertThat(ToolCallFormat.detect("{{ messages[0].content }}")).isEqualTo(ToolCallFormat.HERMES);
    }

    /** Openings of a whole-reply call in a format the model was not expected to use: decided only at {"name". */
    @Test
    void namedCallOpenings() {
        for (String opens : List.of("{\"name\"", " { \"name\": \"f\"", "[{\"name\"", "[ {\"name\"",
                "<|python_tag|>{\"name\"", "```json\n{\"name\"")) {
            assertThat(ToolCallParser.startsNamedCall(opens)).as(opens).isTrue();
            assertThat(ToolCallParser.mayStartNamedCall(opens)).as(opens).isTrue();
        }
        for (String mayStill : List.of("", "  ", "{", "{ \"na", "[", "[ {", "<|pyth", "``", "```json", "```json\n{")) {
            assertThat(ToolCallParser.mayStartNamedCall(mayStill)).as(mayStill).isTrue();
            assertThat(ToolCallParser.startsNamedCall(mayStill)).as(mayStill).isFalse();
        }
        for (String cannot : List.of("{\"city\"", "[1]", "Sure", "{\"namex", "<b>", "[[",
                "{ \"nam e\"")) {
            assertThat(ToolCallParser.mayStartNamedCall(cannot)).as(cannot).isFalse();
        }
    }
}
