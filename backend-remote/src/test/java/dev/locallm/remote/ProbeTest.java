package dev.locallm.remote;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** {@link RemoteModels#probe} reports what each server really does. */
class ProbeTest {

    @Test
    void ownServerSupportsEverythingButEmbeddingsOnAChatModel() {
        try (OwnServer own = new OwnServer()) {
            RemoteCapabilities c = RemoteModels.probe(own.chatUri(""));

            assertThat(c.dialect()).isEqualTo(Dialect.LOCALLM);
            assertThat(c.model()).isEqualTo("stories");
            assertThat(c.streaming()).isTrue();
            assertThat(c.usageInStream()).isTrue();
            assertThat(c.toolCalls()).isTrue();
            assertThat(c.streamedToolDeltas()).isTrue();
            assertThat(c.toolChoiceRequired()).as("stories260K cannot refuse a grammar").isTrue();
            assertThat(c.jsonSchemaEnforced()).isTrue();
            assertThat(c.embeddings()).isFalse();
            assertThat(c.notes()).anyMatch(n -> n.startsWith("embeddings:") && n.contains("404"));
        }
    }

    @Test
    void fixturesShowTheirFamiliesGaps() {
        try (FamilyServer ollama = new FamilyServer(Family.OLLAMA);
             FamilyServer webui = new FamilyServer(Family.TEXT_GENERATION_WEBUI);
             FamilyServer localai = new FamilyServer(Family.LOCALAI);
             FamilyServer vllm = new FamilyServer(Family.VLLM)) {
            RemoteCapabilities o = RemoteModels.probe(ollama.uri(""));
            assertThat(o.toolCalls()).isTrue();
            assertThat(o.streamedToolDeltas()).as("Ollama sends each call whole").isFalse();
            assertThat(o.toolChoiceRequired()).isFalse();
            assertThat(o.jsonSchemaEnforced()).isTrue();

            RemoteCapabilities w = RemoteModels.probe(webui.uri(""));
            assertThat(w.streaming()).isTrue();
            assertThat(w.usageInStream()).isFalse();
            assertThat(w.toolCalls()).isFalse();
            assertThat(w.jsonSchemaEnforced()).as("through grammar_string").isTrue();

            RemoteCapabilities l = RemoteModels.probe(localai.uri(""));
            assertThat(l.jsonSchemaEnforced()).isFalse();
            assertThat(l.notes()).anyMatch(n -> n.startsWith("json_schema: the reply did not match"));

            RemoteCapabilities v = RemoteModels.probe(vllm.uri(""));
            assertThat(v.dialect()).isEqualTo(Dialect.VLLM);
            assertThat(v.usageInStream()).as("this build refuses stream_options").isFalse();
            assertThat(v.toolChoiceRequired()).isTrue();
        }
    }
}
