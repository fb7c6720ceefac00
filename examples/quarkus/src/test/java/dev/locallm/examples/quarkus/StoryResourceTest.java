package dev.locallm.examples.quarkus;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.locallm.testkit.TestModels;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.opentest4j.TestAbortedException;

/** The application, started by Quarkus on the shared stories260K model and called over HTTP. */
@QuarkusTest
@ExtendWith(StoryResourceTest.ModelPresent.class)
@WithTestResource(StoryResourceTest.StoriesModel.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StoryResourceTest {
    static final int MAX_TOKENS = 32;

    /** The model the application starts with, found by {@link TestModels}: one thread, short replies. */
    public static final class StoriesModel implements QuarkusTestResourceLifecycleManager {
        @Override
        public Map<String, String> start() {
            return Map.of("locallm.chat-model.uri",
                    "gguf:" + TestModels.require(TestModels.STORIES_CHATML) + "?threads=1&ctx=1024",
                    "locallm.chat-model.max-tokens", String.valueOf(MAX_TOKENS));
        }

        @Override
        public void stop() {
        }
    }

    /**
     * Skips the class when the model is missing (fails it under {@code CI=true}), before Quarkus starts: Quarkus
     * reports a start that {@link TestModels} aborts as an error, not as a skip.
     */
    static final class ModelPresent implements ExecutionCondition {
        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            try {
                return ConditionEvaluationResult.enabled("found " + TestModels.require(TestModels.STORIES_CHATML));
            } catch (TestAbortedException e) {
                return ConditionEvaluationResult.disabled(e.getMessage());
            }
        }
    }

    @Test
    void postsAPromptAndGetsTheModelsTextWithItsUsage() {
        StoryResource.Story story = given().contentType(ContentType.JSON).body(Map.of("prompt", "Tell me a story"))
                .when().post("/story")
                .then().statusCode(200).contentType(ContentType.JSON)
                .extract().as(StoryResource.Story.class);

        assertThat(story.text()).isNotBlank();
        assertThat(story.finishReason()).isIn("STOP", "LENGTH");
        assertThat(story.usage().promptTokens()).isPositive();
        assertThat(story.usage().completionTokens()).isBetween(1, MAX_TOKENS);
    }

    @Test
    void aBlankPromptIsTheClientsError() {
        StoryResource.Problem problem = given().contentType(ContentType.JSON).body(Map.of("prompt", " "))
                .when().post("/story")
                .then().statusCode(400).contentType(ContentType.JSON)
                .extract().as(StoryResource.Problem.class);

        assertThat(problem.parameter()).isEqualTo("prompt");
        assertThat(problem.message()).isNotBlank();
    }
}
