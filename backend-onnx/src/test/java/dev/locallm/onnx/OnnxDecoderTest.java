package dev.locallm.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.OrtSession;
import dev.locallm.ChatModel;
import dev.locallm.LocalLm;
import dev.locallm.chat.ChatResponse;
import dev.locallm.chat.GenerationOptions;
import dev.locallm.error.InvalidRequestException;
import dev.locallm.testkit.TestModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The two KV-cache layouts, on the two shared ONNX models: Optimum's key and value apart (stories260K-onnx) and
 * onnxruntime's legacy GPT-2 export with both stacked in one int32-fed tensor a layer (tiny-random-gpt2-onnx).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class OnnxDecoderTest {
    /** GPT-2 ids of "a b c d", all inside the tiny model's 1,000. */
    private static final int[] PROMPT = {64, 275, 269, 288};

    private static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    /**
     * Greedy tokens generated step by step over the cache are the tokens a run over the whole sequence without a
     * cache picks: the cache each step hands to the next holds what the model computed.
     */
    @ParameterizedTest
    @ValueSource(strings = {TestModels.STORIES_ONNX, TestModels.TINY_GPT2_ONNX})
    void stepsOverTheCachePickWhatARunWithoutOneDoes(String name) throws Exception {
        Path folder = TestModels.require(name);
        ModelDirectory model = ModelDirectory.read(folder);
        try (OnnxDecoder decoder = OnnxDecoder.open(model, OnnxOptions.builder().threads(1).build(),
                model.contextLength());
             OrtSession.RunOptions run = new OrtSession.RunOptions()) {
            List<Integer> generated = new ArrayList<>();
            OrtSession.Result cache = decoder.step(PROMPT, 0, null, run);
            for (int i = 0; i < 12; i++) {
                int token = argmax(decoder.lastLogits(cache));
                generated.add(token);
                OrtSession.Result next = decoder.step(new int[] {token}, PROMPT.length + i, cache, run);
                cache.close();
                cache = next;
            }
            cache.close();
            assertThat(decoder.layers()).isEqualTo(5);
            for (int k = 0; k < generated.size(); k++) {
                int[] sequence = Arrays.copyOf(PROMPT, PROMPT.length + k);
                for (int j = 0; j < k; j++) {
                    sequence[PROMPT.length + j] = generated.get(j);
                }
                try (OrtSession.Result whole = decoder.step(sequence, 0, null, run)) {
                    assertThat(argmax(decoder.lastLogits(whole))).as("token %d of %s", k, generated)
                            .isEqualTo(generated.get(k));
                }
            }
        }
    }

    @Test
    void theLegacyGpt2ExportGeneratesThroughChatModelAndRefusesIdsBeyondItsVocabulary() {
        Path folder = TestModels.require(TestModels.TINY_GPT2_ONNX);
        try (ChatModel model = LocalLm.chatModel("onnx:" + folder + "?threads=1")) {
            GenerationOptions greedy = GenerationOptions.of(o -> o.temperature(0).maxTokens(12));
            ChatResponse first = model.complete("a b c d", greedy);
            ChatResponse second = model.complete("a b c d", greedy);
            assertThat(first.usage().promptTokens()).isEqualTo(PROMPT.length);
            assertThat(first.usage().completionTokens()).isBetween(1, 12);
            assertThat(second.text()).isEqualTo(first.text());

            assertThatThrownBy(() -> model.complete("Once upon a time", greedy))
                    .isInstanceOf(InvalidRequestException.class)
                    .hasMessageContaining("outside the model's vocabulary of 1000");
        }
    }
}
