package dev.locallm.onnx;

import dev.locallm.ChatModel;
import dev.locallm.testkit.ChatModelContract;
import dev.locallm.testkit.StructuredOutputContract;
import dev.locallm.testkit.ToolCallingContract;
import org.junit.jupiter.api.Nested;

/**
 * The contract suites on stories260K-onnx (ChatML fallback template, two generations at once): chat, structured
 * output and tool calls (through the grammar's token masks). The tool-calling suite's prompt (two tools' schemas in
 * the system message) is 644 tokens, past the model's 512 positions: it runs with a context of 2048, as on the
 * llama.cpp backend, the graph's RoPE tables extended ({@code RopeTables}).
 */
class OnnxChatModelContractTest extends ChatModelContract {
    @Override
    protected ChatModel openModel() {
        return OnnxBackendTest.openOnnx("");
    }

    @Nested
    class StructuredOutput extends StructuredOutputContract {
        @Override
        protected ChatModel openModel() {
            return OnnxBackendTest.openOnnx("");
        }
    }

    @Nested
    class ToolCalling extends ToolCallingContract {
        @Override
        protected ChatModel openModel() {
            return OnnxBackendTest.openOnnx("?ctx=2048");
        }
    }
}
