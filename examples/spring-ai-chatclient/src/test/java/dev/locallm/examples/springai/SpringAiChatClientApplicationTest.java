package dev.locallm.examples.springai;

import static org.assertj.core.api.Assertions.assertThat;

import dev.locallm.testkit.TestModels;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The application on the shared stories260K model, its demo runner off: each use of {@link Assistant} through
 * Spring AI's {@code ChatClient} produces what it shows.
 */
@SpringBootTest(properties = "demo.enabled=false")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SpringAiChatClientApplicationTest {

    @DynamicPropertySource
    static void model(DynamicPropertyRegistry registry) {
        registry.add("locallm.chat-model.uri", () -> "gguf:" + TestModels.require(TestModels.STORIES_CHATML));
        registry.add("locallm.chat-model.options.threads", () -> "1");
        registry.add("locallm.chat-model.options.ctx", () -> "2048");
    }

    @Autowired
    Assistant assistant;

    @Autowired
    WeatherTools weatherTools;

    @Test
    void aCallReturnsText() {
        assertThat(assistant.chat("Tell me a story.")).isNotBlank();
    }

    @Test
    void aStreamComesInPiecesThatAddUpToText() {
        List<String> pieces = assistant.stream("Once upon a time").collectList().block();

        assertThat(pieces).isNotEmpty().allSatisfy(piece -> assertThat(piece).isNotEmpty());
        assertThat(String.join("", pieces)).isNotBlank();
    }

    @Test
    void nativeStructuredOutputFillsTheRecord() {
        Assistant.Weather weather = assistant.weather("The weather in Paris, as JSON.");

        assertThat(weather).isNotNull();
        assertThat(weather.city()).isNotNull();
    }

    @Test
    void theRequiredToolRunsOnceAndItsResultIsTheReply() {
        String reply = assistant.temperature("How warm is it in Oslo?");

        assertThat(weatherTools.lookups()).hasSize(1);
        WeatherTools.Lookup lookup = weatherTools.lookups().get(0);
        assertThat(lookup.city()).isNotBlank();
        assertThat(reply).as("returnDirect: the tool's result is the reply")
                .isEqualTo(String.valueOf(lookup.celsius()));
    }
}
