package dev.locallm;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.locallm.error.BackendUnavailableException;
import org.junit.jupiter.api.Test;

class LocalLmTest {

    @Test
    void unknownSchemeNamesWhatIsAvailable() {
        assertThatThrownBy(() -> LocalLm.chatModel("foo:/x"))
                .isInstanceOf(BackendUnavailableException.class)
                .hasMessageContaining("Unknown scheme 'foo'")
                .hasMessageContaining("no LocaLLM backend is on the class path");
    }

    @Test
    void knownSchemeWithoutItsBackendNamesTheDependency() {
        assertThatThrownBy(() -> LocalLm.chatModel("gguf:/models/m.gguf"))
                .isInstanceOf(BackendUnavailableException.class)
                .hasMessageContaining("dev.locallm:locallm-backend-llamacpp");
        assertThatThrownBy(() -> LocalLm.chatModel("/models/m.gguf"))
                .isInstanceOf(BackendUnavailableException.class)
                .hasMessageContaining("A .gguf file needs the llama.cpp backend");
        assertThatThrownBy(() -> LocalLm.embeddingModel("openai:http://localhost/v1"))
                .hasMessageContaining("locallm-backend-remote");
        assertThatThrownBy(() -> LocalLm.chatModel("hf:org/repo/m.gguf"))
                .hasMessageContaining("dev.locallm:locallm-hub");
    }

    /** A location a model source serves is resolved before a backend is looked for. */
    @Test
    void aModelSourceResolvesItsSchemeFirst() {
        assertThatThrownBy(() -> LocalLm.chatModel("renamed:m.gguf?threads=2"))
                .isInstanceOf(BackendUnavailableException.class)
                .hasMessageContaining("the model 'foo:/resolved/m.gguf?threads=2'");
    }
}
