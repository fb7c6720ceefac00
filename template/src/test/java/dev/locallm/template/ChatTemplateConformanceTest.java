package dev.locallm.template;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.locallm.error.InvalidRequestException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * Renders every template of {@code chat-templates/} on every context and compares with what Python's jinja2,
 * configured like Hugging Face's {@code apply_chat_template}, produced ({@code expected.json}, written by
 * {@code generate.py}).
 */
class ChatTemplateConformanceTest {
    private static final ObjectMapper JSON = JsonMapper.builder().build();

    static Stream<Arguments> cases() throws IOException {
        Map<String, Map<String, Object>> contexts = read("contexts.json", new TypeReference<>() { });
        Map<String, Map<String, String>> expected = read("expected.json", new TypeReference<>() { });
        return expected.entrySet().stream().map(e -> {
            String[] parts = e.getKey().split("/");
            return Arguments.of(e.getKey(), template(parts[0]), contexts.get(parts[1]), e.getValue());
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void rendersLikePythonJinja(String name, String source, Map<String, Object> context, Map<String, String> expected) {
        // given
        ChatTemplate template = ChatTemplate.compile(source);
        // when / then
        if (expected.containsKey("output")) {
            assertThat(template.render(context)).isEqualTo(expected.get("output"));
        } else if (expected.containsKey("raised")) {
            assertThatThrownBy(() -> template.render(context))
                    .isInstanceOf(InvalidRequestException.class)
                    .hasMessage("The model's chat template rejected the conversation: " + expected.get("raised"));
        } else {
            assertThatThrownBy(() -> template.render(context))
                    .isInstanceOf(InvalidRequestException.class)
                    .hasMessageStartingWith("The model's chat template failed at line");
        }
    }

    private static <T> T read(String name, TypeReference<T> type) throws IOException {
        try (InputStream in = resource(name)) {
            return JSON.readValue(in, type);
        }
    }

    private static String template(String stem) {
        try (InputStream in = resource(stem + ".jinja")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static InputStream resource(String name) {
        InputStream in = ChatTemplateConformanceTest.class.getResourceAsStream("/chat-templates/" + name);
        if (in == null) {
            throw new IllegalStateException("missing test resource chat-templates/" + name);
        }
        return in;
    }

}
