package dev.locallm.template;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.locallm.chat.AssistantMessage;
import dev.locallm.chat.ChatMessage;
import dev.locallm.chat.SystemMessage;
import dev.locallm.chat.ToolResultMessage;
import dev.locallm.chat.UserMessage;
import dev.locallm.error.InvalidRequestException;
import dev.locallm.error.ModelLoadException;
import dev.locallm.tool.ToolCall;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class ChatTemplateTest {

    @Test
    void rendersChatMlWithGenerationPrompt() {
        // given
        List<ChatMessage> messages = List.of(SystemMessage.of("You are a storyteller."),
                UserMessage.of("Tell me a story about a cat."));
        // when
        String prompt = ChatTemplate.chatMl().render(messages, Map.of());
        // then: the exact text llama.cpp's own ChatML rendering gives for the same messages
        assertThat(prompt).isEqualTo("<|im_start|>system\nYou are a storyteller.<|im_end|>\n"
                + "<|im_start|>user\nTell me a story about a cat.<|im_end|>\n<|im_start|>assistant\n");
    }

    @Test
    void convertsToolCallsAndResultsToHuggingFaceMessagesWithArgumentsAsDictionaries() {
        // given
        var call = new ToolCall("call_7", "lookup", "{\"q\":\"x\"}");
        List<ChatMessage> messages = List.of(UserMessage.of("find x"), AssistantMessage.ofToolCalls(List.of(call)),
                ToolResultMessage.of("call_7", "lookup", "42"));
        // when
        List<Map<String, Object>> converted = ChatTemplate.toTemplateMessages(messages);
        // then
        assertThat(converted.get(1)).containsEntry("role", "assistant").containsEntry("content", "");
        assertThat(converted.get(1).get("tool_calls")).isEqualTo(List.of(Map.of("id", "call_7", "type", "function",
                "function", Map.of("name", "lookup", "arguments", Map.of("q", "x")))));
        assertThat(converted.get(2)).containsEntry("role", "tool").containsEntry("tool_call_id", "call_7")
                .containsEntry("name", "lookup").containsEntry("content", "42");
    }

    @Test
    void syntaxErrorNamesTheLine() {
        assertThatThrownBy(() -> ChatTemplate.compile("line one\n{% if x %}\nno end"))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("line 3")
                .hasMessageContaining("endif");
        assertThatThrownBy(() -> ChatTemplate.compile("{{ a + }}")).isInstanceOf(ModelLoadException.class);
        assertThatThrownBy(() -> ChatTemplate.compile("{% unknowntag %}")).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("unknowntag");
        assertThatThrownBy(() -> ChatTemplate.compile("{{ 'open")).isInstanceOf(ModelLoadException.class);
    }

    @Test
    @Timeout(10)
    void outputLimitStopsAnExplodingTemplate() {
        // given a template that doubles a string 40 times
        var limits = new ChatTemplate.Limits(1_000_000, 10_000_000, 200, Duration.ofSeconds(5));
        ChatTemplate t = ChatTemplate.compile("{% set ns = namespace(s='ab') %}{% for i in range(40) %}"
                + "{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s }}", limits);
        // when / then
        assertThatThrownBy(() -> t.render(Map.of()))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("more than 1000000 characters");
        assertThatThrownBy(() -> ChatTemplate.compile("{{ 'x' * 100000000 }}", limits).render(Map.of()))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("characters");
        for (String amplifier : List.of("{{ messages | tojson(indent=100000000) }}", "{{ 'a\nb' | indent(9999999) }}",
                "{% set l = [] %}{% for i in range(30) %}{% set _ = l.append(l) %}{% endfor %}{{ l | tojson }}")) {
            assertThatThrownBy(() -> ChatTemplate.compile(amplifier, limits).render(Map.of("messages", List.of(
                    Map.of("role", "user", "content", "hi"), Map.of("role", "user", "content", "ho")))))
                    .as(amplifier).isInstanceOf(InvalidRequestException.class);
        }
    }

    @Test
    @Timeout(10)
    void stepAndTimeLimitsStopEndlessWork() {
        // given nested loops of 10^15 iterations in total
        ChatTemplate t = ChatTemplate.compile("{% for a in range(100000) %}{% for b in range(100000) %}"
                + "{% for c in range(100000) %}{% endfor %}{% endfor %}{% endfor %}");
        // when / then
        assertThatThrownBy(() -> t.render(Map.of()))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageMatching(".*(steps|longer than).*");
        var quick = new ChatTemplate.Limits(1000, Long.MAX_VALUE, 200, Duration.ofMillis(200));
        ChatTemplate slow = ChatTemplate.compile("{% for a in range(100000) %}{% for b in range(100000) %}"
                + "{% endfor %}{% endfor %}", quick);
        assertThatThrownBy(() -> slow.render(Map.of())).hasMessageContaining("longer than 200 ms");
    }

    @Test
    void deepNestingFailsCleanly() {
        String deep = "{{ " + "(".repeat(5000) + "1" + ")".repeat(5000) + " }}";
        assertThatThrownBy(() -> ChatTemplate.compile(deep).render(Map.of()))
                .isInstanceOf(dev.locallm.error.LocalLmException.class);
        ChatTemplate recursive = ChatTemplate.compile("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}");
        assertThatThrownBy(() -> recursive.render(Map.of()))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("deeper than");
    }

    @Test
    void missingVariablesAreUndefinedNotErrors() {
        ChatTemplate t = ChatTemplate.compile("[{{ nothing }}][{{ nothing.deeper }}][{{ nothing is defined }}]"
                + "[{% for x in nothing %}x{% endfor %}][{{ nothing | default('d') }}]");
        assertThat(t.render(Map.of())).isEqualTo("[][][False][][d]");
    }

    @Test
    void strftimeFormatsLikePython() {
        var t = ZonedDateTime.of(2026, 11, 5, 9, 7, 3, 0, ZoneOffset.UTC);
        assertThat(Builtins.strftime("%d %b %Y, %A %B %H:%M:%S %I%p %j %%", t))
                .isEqualTo("05 Nov 2026, Thursday November 09:07:03 09AM 309 %");
    }

    @Test
    void callingSomethingNotCallableIsARenderError() {
        assertThatThrownBy(() -> ChatTemplate.compile("{{ messages() }}").render(Map.of("messages", List.of())))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("'messages' is not callable");
    }
}
