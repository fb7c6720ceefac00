package dev.locallm.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.locallm.error.InvalidRequestException;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ModelLocationTest {

    @Test
    void parsesSchemePathAndQuery() {
        var l = ModelLocation.parse("gguf:/models/a b.gguf?threads=4&ctx=2048&name=x%20y");
        assertThat(l.scheme()).isEqualTo("gguf");
        assertThat(l.path()).isEqualTo("/models/a b.gguf");
        assertThat(l.parameters())
                .containsOnly(Map.entry("threads", "4"), Map.entry("ctx", "2048"), Map.entry("name", "x y"));
        assertThat(l.parameters().keySet()).containsExactly("threads", "ctx", "name");
    }

    @Test
    void plainPathsAndDriveLettersHaveNoScheme() {
        assertThat(ModelLocation.parse("../models/m.gguf").scheme()).isEmpty();
        assertThat(ModelLocation.parse("C:\\models\\m.gguf").scheme()).isEmpty();
        assertThat(ModelLocation.parse("openai:http://127.0.0.1:8000/v1?model=m").target())
                .isEqualTo("http://127.0.0.1:8000/v1?model=m");
    }

    @Test
    void theNameIsTheFileNameWithoutGgufQueryOrScheme() {
        assertThat(ModelLocation.parse("gguf:/models/Qwen-Q4_K_M.GGUF?ctx=4096").name()).isEqualTo("Qwen-Q4_K_M");
        assertThat(ModelLocation.parse("C:\\models\\m.gguf").name()).isEqualTo("m");
        assertThat(ModelLocation.parse("hf:org/repo/sub/file.gguf").name()).isEqualTo("file");
        assertThat(ModelLocation.parse("onnx:/models/minilm/").name()).isEqualTo("minilm");
        assertThat(ModelLocation.parse("m.bin").name()).isEqualTo("m.bin");
        assertThat(ModelLocation.parse("openai:http://127.0.0.1:8000/v1?model=nomic-embed").name())
                .isEqualTo("nomic-embed");
    }

    @Test
    void rejectsBlank() {
        assertThatThrownBy(() -> ModelLocation.parse("  ")).isInstanceOf(InvalidRequestException.class);
    }

    @Test
    void wholeNumberParametersAreParsedOrNamedInTheError() {
        assertThat(ModelLocation.wholeNumber("ctx", "4096")).isEqualTo(4096);
        for (String bad : new String[] {"", "4k", "1.5", "99999999999"}) {
            assertThatThrownBy(() -> ModelLocation.wholeNumber("ctx", bad))
                    .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
                        assertThat(e.parameter()).isEqualTo("ctx");
                        assertThat(e.getMessage()).contains("'ctx'").contains("'" + bad + "'");
                    });
        }
    }
}
