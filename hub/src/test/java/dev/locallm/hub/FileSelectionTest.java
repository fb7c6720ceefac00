package dev.locallm.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.locallm.error.InvalidRequestException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code include} patterns matched as huggingface_hub matches them (Python's fnmatch), and the default selection. */
class FileSelectionTest {
    private static final List<String> REPOSITORY = List.of("config.json", "tokenizer.json", "model.onnx",
            "model.onnx_data", "README.md", "onnx/model.onnx", "onnx/model_q4.onnx", "onnx/model_q4.onnx_data",
            "tokenizer.model", "merges.txt");

    private static List<String> selected(FileSelection selection) {
        return REPOSITORY.stream().filter(selection::matches).toList();
    }

    @Test
    void theDefaultTakesTheTopLevelFilesOfAModelFolder() {
        assertThat(selected(FileSelection.of(null))).containsExactly("config.json", "tokenizer.json", "model.onnx",
                "model.onnx_data", "tokenizer.model", "merges.txt");
    }

    @Test
    void aStarCrossesFoldersAsInFnmatchAndSetsAndSingleCharactersWork() {
        assertThat(selected(FileSelection.of("*.onnx"))).containsExactly("model.onnx", "onnx/model.onnx",
                "onnx/model_q4.onnx");
        assertThat(selected(FileSelection.of("*.json, onnx/model_q4*"))).containsExactly("config.json",
                "tokenizer.json", "onnx/model_q4.onnx", "onnx/model_q4.onnx_data");
        assertThat(selected(FileSelection.of("[!m]*.json"))).containsExactly("config.json", "tokenizer.json");
        assertThat(selected(FileSelection.of("model.onnx?data"))).containsExactly("model.onnx_data");
        assertThat(FileSelection.of("a[b.txt").matches("a[b.txt")).as("an unclosed [ is itself").isTrue();
        assertThat(FileSelection.of("(x).json").matches("(x).json")).isTrue();
        assertThat(FileSelection.of("(x).json").matches("x.json")).isFalse();
        assertThatThrownBy(() -> FileSelection.of(" , ")).isInstanceOf(InvalidRequestException.class);
    }

    @Test
    void pathsThatLeaveTheRepositoryAreRefused() {
        assertThat(HubName.isRelativePath("onnx/model.onnx")).isTrue();
        assertThat(HubName.isRelativePath("a..b/c")).isTrue();
        for (String bad : List.of("../x", "a/../../x", "/etc/passwd", "a//b", "a\\b", "./x", "")) {
            assertThat(HubName.isRelativePath(bad)).as(bad).isFalse();
        }
    }
}
