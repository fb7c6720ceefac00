package dev.locallm.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.locallm.chat.ToolResultMessage;
import dev.locallm.error.InvalidRequestException;
import dev.locallm.schema.Description;
import dev.locallm.tool.Tool;
import dev.locallm.tool.ToolCall;
import dev.locallm.tool.ToolSpec;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ToolMethodsTest {
    record Place(String city, Optional<String> country) { }

    record Node(int value, List<Node> children) { }

    static class Tools {
        @Tool("Temperature in a place")
        int temperature(@Description("Where") Place place, Optional<String> unit) {
            return unit.isPresent() ? 60 : 15;
        }

        @Tool(value = "Sum of a tree", name = "tree_sum")
        int sum(Node root) {
            return root.value() + root.children().stream().mapToInt(this::sum).sum();
        }

        @Tool("Always fails")
        String broken(String x) {
            throw new IllegalStateException("no service");
        }
    }

    @Test
    void specsDescribeParametersWithSchemasThatValidate() {
        ToolMethods tools = ToolMethods.of(new Tools());
        assertThat(tools.specs()).extracting(ToolSpec::name).containsExactlyInAnyOrder("temperature", "tree_sum", "broken");
        ToolSpec temperature = tools.specs().stream().filter(t -> t.name().equals("temperature")).findFirst().orElseThrow();
        assertThat(temperature.description()).isEqualTo("Temperature in a place");
        assertThat(temperature.parameters().toJson()).contains("\"required\":[\"place\"]").contains("\"description\":\"Where\"");
        ToolSpec tree = tools.specs().stream().filter(t -> t.name().equals("tree_sum")).findFirst().orElseThrow();
        assertThat(tree.parameters().validate("{\"root\":{\"value\":1,\"children\":[{\"value\":2,\"children\":[]}]}}")).isEmpty();
    }

    @Test
    void executesCallsWithTypedArguments() {
        ToolMethods tools = ToolMethods.of(new Tools());
        ToolResultMessage r = tools.execute(new ToolCall("c1", "temperature", "{\"place\":{\"city\":\"Oslo\"}}"));
        assertThat(r.text()).isEqualTo("15");
        assertThat(r.toolCallId()).isEqualTo("c1");
        assertThat(tools.execute(new ToolCall("c2", "temperature", "{\"place\":{\"city\":\"Oslo\"},\"unit\":\"F\"}"))
                .text()).isEqualTo("60");
        assertThat(tools.execute(new ToolCall("c3", "tree_sum",
                "{\"root\":{\"value\":1,\"children\":[{\"value\":2,\"children\":[]}]}}")).text()).isEqualTo("3");
    }

    @Test
    void failuresBecomeErrorResultsOrTypedExceptions() {
        ToolMethods tools = ToolMethods.of(new Tools());
        assertThat(tools.execute(new ToolCall("c", "broken", "{\"x\":\"y\"}")).text()).contains("no service");
        assertThat(tools.execute(new ToolCall("c", "temperature", "{\"place\":5}")).text()).contains("bad arguments");
        assertThatThrownBy(() -> tools.execute(new ToolCall("c", "nope", "{}"))).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> tools.execute(new ToolCall("c", "broken", "[1]"))).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> ToolMethods.of(new Object())).isInstanceOf(InvalidRequestException.class);
    }
}
