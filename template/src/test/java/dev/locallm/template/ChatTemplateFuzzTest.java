package dev.locallm.template;

import static org.assertj.core.api.Assertions.assertThat;

import dev.locallm.chat.AssistantMessage;
import dev.locallm.chat.ChatMessage;
import dev.locallm.chat.SystemMessage;
import dev.locallm.chat.ToolResultMessage;
import dev.locallm.chat.UserMessage;
import dev.locallm.error.InvalidRequestException;
import dev.locallm.error.ModelLoadException;
import dev.locallm.tool.ToolCall;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Chat templates as a GGUF file may carry them, broken and hostile: the real templates of the test resources cut,
 * repeated and shuffled at tag boundaries, with runaway loops, recursion, exponential strings, huge numbers,
 * Python internals and missing tags spliced in. Each compiles or fails with a {@link ModelLoadException}, and each
 * compiled one renders within the limits or fails with an {@link InvalidRequestException}; nothing else escapes,
 * and nothing runs away. {@code -Dlocallm.fuzz.templates=N} runs more.
 */
@Timeout(600)
class ChatTemplateFuzzTest {
    private static final Pattern PIECES = Pattern.compile("\\{%-?.*?-?%}|\\{\\{-?.*?-?}}|\\{#.*?#}|[^{]+|\\{",
            Pattern.DOTALL);
    private static final List<String> HOSTILE = List.of(
            "{% for i in range(100000000) %}x{% endfor %}",
            "{% for i in range(100000000) %}{% for j in range(100000000) %}{% endfor %}{% endfor %}",
            "{{ 'a' * 1000000000 }}",
            "{{ 'ab' * 99999999999999999999 }}",
            "{{ [1, 2] * 1000000000 }}",
            "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(1) }}",
            "{% macro f(n) %}{{ f(n) ~ f(n) }}{% endmacro %}{{ f(1) }}",
            "{% set ns = namespace(a='ab') %}{% for i in range(64) %}{% set ns.a = ns.a ~ ns.a %}{% endfor %}{{ ns.a }}",
            "{% set x = [] %}{% for i in range(100000000) %}{% set _ = x.append(i) %}{% endfor %}",
            "{{ 9999999999 ** 9999999999 }}", "{{ 2 ** -1 }}", "{{ 10 ** 400 }}", "{{ 1e308 * 10 }}",
            "{{ 1 / 0 }}", "{{ 1 // 0 }}", "{{ 1 % 0 }}", "{{ [1][5] }}", "{{ none.a.b }}", "{{ x.y.z }}",
            "{{ messages.__class__ }}", "{{ ''.__class__.__mro__[1].__subclasses__() }}",
            "{{ cycler.__init__.__globals__.os.popen('id').read() }}", "{{ lipsum }}", "{{ self }}",
            "{{ range.__call__ }}", "{{ config }}", "{{ request }}", "{{ joiner() }}",
            "{% include 'x' %}", "{% import 'os' as os %}", "{% extends 'base' %}", "{% from 'x' import y %}",
            "{{ messages | tojson(indent=100000000) }}", "{{ 'x' | replace('', 'y' * 100000) }}",
            "{{ 'x' | center(1000000000) }}", "{{ 'abc' | indent(1000000000) }}", "{{ messages | batch(0) | list }}",
            "{{ messages[::0] }}", "{{ range(0, 10, 0) | list }}", "{{ 'a'.split('') }}",
            "{{ raise_exception('rejected') }}", "{{ strftime_now('%Y') }}", "{{ '\\ud800\\u0000\\u001b[2J' }}",
            "{% set d = {} %}{% set _ = d.update({'a': d}) %}{{ d | tojson }}",
            "{% set l = [] %}{% set _ = l.append(l) %}{{ l }}",
            "{{ " + "(".repeat(5000) + "1" + ")".repeat(5000) + " }}",
            "{% if %}{% endif %}", "{% for %}", "{{ }}", "{% endfor %}", "{% set %}", "{{ 'unterminated }}",
            "{% for m in messages %}{% for m2 in messages %}{% for m3 in messages %}{{ m3 }}{% endfor %}{% endfor %}"
                    + "{% endfor %}",
            "{% filter upper %}{% filter upper %}" + "x".repeat(10) + "{% endfilter %}{% endfilter %}",
            "{% raw %}", "{#", "{{ messages | map('x') | list }}", "{{ messages | sort(attribute='no.such') }}",
            "{{ loop.cycle() }}", "{% break %}", "{% continue %}", "{{ tools | length }}",
            "{{ messages[0]['content'] | tojson | from_json }}", "{{ 'a' is divisibleby 0 }}",
            "{% set l = [] %}{% for i in range(30) %}{% set _ = l.append(l) %}{% endfor %}{{ l | tojson }}",
            "{% set l = [1] %}{% for i in range(30) %}{% set l = [l, l] %}{% endfor %}{{ l }}{{ l | tojson }}",
            "{{ 'a\nb\n' * 1000 | indent(100000) }}", "{{ 'x' | indent(-5) }}", "{{ {} | tojson(indent=-3) }}");

    @Test
    void brokenAndHostileTemplatesEndInATypedError() throws IOException {
        long seed = Long.getLong("locallm.fuzz.seed", 20261201L);
        int count = Integer.getInteger("locallm.fuzz.templates", 2000);
        List<String> bases = new ArrayList<>(List.of(ChatTemplate.CHATML));
        for (String name : List.of("alternating", "chatml", "features", "header-style", "mutation", "role-mapping",
                "tools-namespace")) {
            try (InputStream in = getClass().getResourceAsStream("/chat-templates/" + name + ".jinja")) {
                bases.add(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
        }
        ChatTemplate.Limits limits = new ChatTemplate.Limits(256 * 1024, 1_000_000, 64,
                ChatTemplate.Limits.DEFAULT.timeout());
        Map<String, Integer> outcomes = new TreeMap<>();
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Random random = new Random(seed * 1_000_003L + i);
            String source = mutate(bases.get(random.nextInt(bases.size())), random);
            String outcome;
            try {
                String out = ChatTemplate.compile(source, limits).render(conversation(), Map.of("tools", List.of(
                        Map.of("type", "function", "function", Map.of("name", "f", "parameters", Map.of()))),
                        "bos_token", "<s>", "eos_token", "</s>"));
                outcome = out.length() <= limits.maxOutputChars() ? "rendered" : "over the output limit";
            } catch (ModelLoadException e) {
                outcome = "refused at compile";
            } catch (InvalidRequestException e) {
                outcome = "refused at render";
            } catch (Throwable t) {
                outcome = "escaped: " + t.getClass().getName();
                failures.add("#" + i + " " + t + "\n" + source.substring(0, Math.min(source.length(), 400)));
            }
            outcomes.merge(outcome, 1, Integer::sum);
        }
        System.out.println(count + " mutated templates (seed " + seed + "): " + outcomes);
        assertThat(failures).isEmpty();
        assertThat(outcomes).doesNotContainKey("over the output limit").containsKeys("rendered",
                "refused at compile", "refused at render");
    }

    private static String mutate(String base, Random random) {
        List<String> pieces = new ArrayList<>();
        Matcher m = PIECES.matcher(base);
        while (m.find()) {
            pieces.add(m.group());
        }
        for (int n = 1 + random.nextInt(3); n > 0; n--) {
            int at = random.nextInt(pieces.size() + 1);
            switch (random.nextInt(6)) {
                case 0 -> {
                    if (!pieces.isEmpty()) {
                        pieces.remove(Math.min(at, pieces.size() - 1));
                    }
                }
                case 1 -> {
                    if (!pieces.isEmpty()) {
                        String piece = pieces.get(Math.min(at, pieces.size() - 1));
                        for (int k = random.nextInt(20); k >= 0; k--) {
                            pieces.add(at, piece);
                        }
                    }
                }
                case 2 -> {
                    if (pieces.size() > 1) {
                        java.util.Collections.swap(pieces, random.nextInt(pieces.size()), random.nextInt(pieces.size()));
                    }
                }
                case 3 -> {
                    if (!pieces.isEmpty()) {
                        String piece = pieces.get(Math.min(at, pieces.size() - 1));
                        int cut = piece.isEmpty() ? 0 : random.nextInt(piece.length());
                        pieces.set(Math.min(at, pieces.size() - 1), piece.substring(0, cut));
                    }
                }
                default -> pieces.add(at, HOSTILE.get(random.nextInt(HOSTILE.size())));
            }
        }
        return String.join("", pieces);
    }

    private static List<ChatMessage> conversation() {
        return List.of(SystemMessage.of("You are terse."), UserMessage.of("Weather in Paris?"),
                AssistantMessage.ofToolCalls(List.of(new ToolCall("call_1", "weather", "{\"city\":\"Paris\"}"))),
                ToolResultMessage.of("call_1", "weather", "Sunny"), AssistantMessage.of("It is sunny."),
                UserMessage.of("Thanks <|im_end|> {{ 1 }}"));
    }
}
