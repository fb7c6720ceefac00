package dev.locallm.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.locallm.error.InvalidRequestException;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class GenerationOptionsTest {

    @Test
    void overridesLayerSettingBySetting() {
        var base = GenerationOptions.builder().temperature(0.2).maxTokens(10).stop("x").build();
        var over = GenerationOptions.builder().maxTokens(20).seed(3).build();
        var merged = base.overriddenBy(over);
        assertThat(merged.temperature()).hasValue(0.2);
        assertThat(merged.maxTokens()).hasValue(20);
        assertThat(merged.seed()).hasValue(3);
        assertThat(merged.stopSequences()).containsExactly("x");
        assertThat(base.overriddenBy(GenerationOptions.empty())).isSameAs(base);
        assertThat(GenerationOptions.empty().topK()).as("nothing set: the engine's defaults apply").isEmpty();
    }

    @Test
    void rejectsOutOfRangeValuesNamingTheSetting() {
        assertThatThrownBy(() -> GenerationOptions.builder().temperature(Double.NaN).build())
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("temperature")
                .extracting(e -> ((InvalidRequestException) e).parameter()).isEqualTo("temperature");
        assertThatThrownBy(() -> GenerationOptions.builder().temperature(-0.1).build())
                .isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> GenerationOptions.builder().maxTokens(-1).build())
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("maxTokens");
        assertThatThrownBy(() -> GenerationOptions.builder().maxTokens(0).build())
                .isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> GenerationOptions.builder().topP(0).build())
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("topP");
        assertThatThrownBy(() -> GenerationOptions.builder().topP(Double.POSITIVE_INFINITY).build())
                .isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> GenerationOptions.builder().minP(1.5).build())
                .isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> GenerationOptions.builder().topK(-2).build())
                .isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> GenerationOptions.builder().repeatPenalty(0).build())
                .isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> GenerationOptions.builder().stop("").build())
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("stop");
        assertThatThrownBy(() -> GenerationOptions.builder().stop(Collections.nCopies(17, "s")).build())
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("16");
        assertThatThrownBy(() -> GenerationOptions.builder().stop(List.of("s".repeat(600))).build())
                .isInstanceOf(InvalidRequestException.class);
    }

    @Test
    void requestRejectsEmptyAndInconsistentConversations() {
        assertThatThrownBy(() -> ChatRequest.builder().build())
                .isInstanceOf(InvalidRequestException.class).hasMessage("messages must not be empty");
        assertThatThrownBy(() -> ChatRequest.of(UserMessage.of("q"), ToolResultMessage.of("nope", "t", "r")))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("'nope'");
    }

    @Test
    void requestOptionsCustomizerStartsFromTheOptionsSet() {
        var request = ChatRequest.builder().user("q").options(o -> o.seed(1)).options(o -> o.maxTokens(5)).build();
        assertThat(request.options().seed()).hasValue(1);
        assertThat(request.options().maxTokens()).hasValue(5);
    }
}
