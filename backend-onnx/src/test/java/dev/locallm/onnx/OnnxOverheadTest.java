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
 * spent outside {@code OrtSession.run}, over greedy generations on stories260K-onnx. Logged, never asserted as a time.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class OnnxOverheadTest {
    private static final Logger LOG = LoggerFactory.getLogger(OnnxOverheadTest.class);

    @Test
    void javaShareOfDecodeStepsIsMeasured() {
        try (OnnxChatEngine engine = OnnxChatEngine.open(OnnxBackendTest.folder(),
                OnnxOptions.builder().threads(1).build())) {
            String prompt = engine.renderPrompt(ChatRequest.builder().user("Tell me a story").build());
            double total = 0;
            int runs = 0;
            int tokens = 0;
            for (long seed = 0; seed < 30; seed++) {
                long s = seed;
                OnnxGeneration generation = engine.generate(prompt,
                        GenerationOptions.of(o -> o.temperature(0.8).seed(s).maxTokens(200)), null);
                while (!(generation.next() instanceof GenerationEvent.Finished)) {
                    tokens += seed >= 10 ? 1 : 0;
                }
                double share = generation.javaShareOfDecodeSteps();
                assertThat(share).isBetween(0.0, 1.0);
                if (seed >= 10) {
                    total += share;
                    runs++;
                }
                generation.close();
            }
            LOG.info("Java's share of a decode step beside ONNX Runtime's run, stories260K-onnx, 1 thread: mean {} % "
                    + "over {} generations ({} tokens) after 10 warm-ups", String.format("%.1f", 100 * total / runs),
                    runs, tokens);
            assertThat(total).isPositive();
        }
    }
}
