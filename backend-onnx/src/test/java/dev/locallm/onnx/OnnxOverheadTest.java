package dev.locallm.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.GenerationOptions;
import dev.locallm.spi.GenerationEvent;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the decode loop costs in Java beside ONNX Runtime's runs (the README's figure): the share of each decode step
 * spent outside {@code OrtSession.run}, over sampled generations on stories260K-onnx, or on the folder the system
 * property {@code locallm.onnx.overhead.model} names (with {@code .threads}, {@code .generations} and
 * {@code .tokens}; bench writes a model of a real size). Logged, never asserted as a time.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class OnnxOverheadTest {
    private static final Logger LOG = LoggerFactory.getLogger(OnnxOverheadTest.class);

    @Test
    void javaShareOfDecodeStepsIsMeasured() {
        String folder = System.getProperty("locallm.onnx.overhead.model");
        int threads = Integer.getInteger("locallm.onnx.overhead.threads", 1);
        int generations = Integer.getInteger("locallm.onnx.overhead.generations", 30);
        int maxTokens = Integer.getInteger("locallm.onnx.overhead.tokens", 200);
        int warmUps = generations / 3;
        try (OnnxChatEngine engine = OnnxChatEngine.open(folder == null ? OnnxBackendTest.folder()
                : java.nio.file.Path.of(folder), OnnxOptions.builder().threads(threads).build())) {
            String prompt = engine.renderPrompt(ChatRequest.builder().user("Tell me a story").build());
            double total = 0;
            int runs = 0;
            int tokens = 0;
            for (long seed = 0; seed < generations; seed++) {
                long s = seed;
                OnnxGeneration generation = engine.generate(prompt,
                        GenerationOptions.of(o -> o.temperature(0.8).seed(s).maxTokens(maxTokens)), null);
                while (!(generation.next() instanceof GenerationEvent.Finished)) {
                    tokens += seed >= warmUps ? 1 : 0;
                }
                double share = generation.javaShareOfDecodeSteps();
                assertThat(share).isBetween(0.0, 1.0);
                if (seed >= warmUps) {
                    total += share;
                    runs++;
                }
                generation.close();
            }
            LOG.info("Java's share of a decode step beside ONNX Runtime's run, {}, threads {}: mean {} % over {} "
                    + "generations ({} tokens) after {} warm-ups", folder == null ? "stories260K-onnx" : folder, threads,
                    String.format("%.1f", 100 * total / runs), runs, tokens, warmUps);
            assertThat(total).isPositive();
        }
    }
}
