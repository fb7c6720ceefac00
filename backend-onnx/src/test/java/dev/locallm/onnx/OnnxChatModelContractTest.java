package dev.locallm.onnx;

import dev.locallm.ChatModel;
import dev.locallm.testkit.ChatModelContract;

/**
 * The chat contract on stories260K-onnx (ChatML fallback template, two generations at once). The structured-output
 * and tool-calling contracts are not run yet: they need grammar-constrained decoding.
 */
class OnnxChatModelContractTest extends ChatModelContract {
    @Override
    protected ChatModel openModel() {
        return OnnxBackendTest.openOnnx("");
    }
}
