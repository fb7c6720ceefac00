package dev.locallm.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.locallm.spring.boot.app.StoryApplication;
import dev.locallm.testkit.TestModels;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.web.client.RestClient;
import tools.jackson.databind.JsonNode;

/**
 * The whole application over HTTP, as it runs in production: the endpoint answers from the model, Actuator's health
 * shows the model, its metrics count the requests, and Spring AI's {@code ChatClient} runs on the same model, observed
 * as Spring AI's own models are.
 */
@SpringBootTest(classes = StoryApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"management.endpoints.web.exposure.include=health,metrics",
            "management.endpoint.health.show-details=always"})
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LocalLmSpringBootApplicationTest {

    @DynamicPropertySource
    static void model(DynamicPropertyRegistry registry) {
        registry.add("locallm.chat-model.uri", () -> "gguf:" + TestModels.require(TestModels.STORIES_CHATML));
        registry.add("locallm.chat-model.options.threads", () -> "1");
        registry.add("locallm.chat-model.defaults.max-tokens", () -> "12");
    }

    @LocalServerPort
    int port;

    @Autowired
    org.springframework.ai.chat.model.ChatModel springAiModel;

    @Test
    void theEndpointAnswersFromTheModelAndActuatorShowsIt() {
        RestClient http = RestClient.create("http://127.0.0.1:" + port);

        StoryApplication.Story story = http.post().uri("/story").body("Tell me a story").retrieve()
                .body(StoryApplication.Story.class);
        assertThat(story.text()).isNotBlank();
        assertThat(story.completionTokens()).isBetween(1, 12);
        assertThat(ChatClient.create(springAiModel).prompt("Hello").call().content()).isNotBlank();

        JsonNode health = http.get().uri("/actuator/health").retrieve().body(JsonNode.class);
        assertThat(health.at("/status").asString()).isEqualTo("UP");
        assertThat(health.at("/components/locallm/status").asString()).isEqualTo("UP");
        assertThat(health.at("/components/locallm/details/localLmChatModel/busySlots").asInt()).isZero();
        JsonNode requests = http.get().uri("/actuator/metrics/locallm.requests?tag=outcome:success").retrieve()
                .body(JsonNode.class);
        assertThat(requests.at("/measurements/0/statistic").asString()).isEqualTo("COUNT");
        assertThat(requests.at("/measurements/0/value").asDouble()).isEqualTo(2.0);
        JsonNode observed = http.get().uri("/actuator/metrics/gen_ai.client.operation?tag=gen_ai.system:locallm")
                .retrieve().body(JsonNode.class);
        assertThat(observed.at("/measurements/0/statistic").asString()).isEqualTo("COUNT");
        assertThat(observed.at("/measurements/0/value").asDouble()).as("Spring AI's observation of the ChatClient call")
                .isEqualTo(1.0);
    }
}
