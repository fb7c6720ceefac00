package dev.locallm.springai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.locallm.error.InvalidRequestException;
import dev.locallm.testkit.TestModels;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.ai.document.Document;
import org.springframework.ai.embedding.EmbeddingOptions;
import org.springframework.ai.embedding.EmbeddingRequest;
import org.springframework.ai.embedding.EmbeddingResponse;

/** The Spring AI embedding model on the shared stories260K model. */
class LocalLmSpringAiEmbeddingModelTest {

    @Test
    void embedsTextsAndDocumentsInOrderWithTheModelsDimensions() {
        try (LocalLmSpringAiEmbeddingModel model = LocalLmSpringAiEmbeddingModel.of(
                "gguf:" + TestModels.require(TestModels.STORIES) + "?threads=1")) {
            EmbeddingResponse response = model.call(new EmbeddingRequest(List.of("The dog ran.", "A red ball."),
                    EmbeddingOptions.builder().dimensions(64).build()));

            assertThat(response.getResults()).hasSize(2);
            assertThat(response.getResults().get(0).getIndex()).isZero();
            assertThat(response.getResults().get(0).getOutput()).hasSize(64)
                    .isEqualTo(model.embed("The dog ran."))
                    .isEqualTo(model.embed(new Document("The dog ran.")))
                    .isNotEqualTo(response.getResults().get(1).getOutput());
            assertThat(model.dimensions()).isEqualTo(64);
            assertThatThrownBy(() -> model.call(new EmbeddingRequest(List.of("x"),
                    EmbeddingOptions.builder().dimensions(384).build())))
                    .isInstanceOfSatisfying(InvalidRequestException.class,
                            e -> assertThat(e.parameter()).isEqualTo("dimensions"));
        }
    }
}
