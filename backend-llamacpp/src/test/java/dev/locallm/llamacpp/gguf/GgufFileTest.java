package dev.locallm.llamacpp.gguf;

import static org.assertj.core.api.Assertions.assertThat;

import dev.locallm.testkit.TestModels;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GgufFileTest {

    @Test
    void readsTheStoriesModelAsLlamaCppDescribesIt() {
        // when
        GgufFile gguf = GgufFile.read(TestModels.require(TestModels.STORIES_CHATML));
        // then: the values llama.cpp prints when it loads this file
        assertThat(gguf.version()).isEqualTo(3);
        assertThat(gguf.architecture()).isEqualTo("llama");
        assertThat(gguf.name()).isEqualTo("stories260K");
        assertThat(gguf.parameterCount()).isEqualTo(292_800);
        assertThat(gguf.quantization()).isEqualTo("F32");
        assertThat(gguf.contextLength()).hasValue(512);
        assertThat(gguf.embeddingLength()).hasValue(64);
        assertThat(gguf.blockCount()).hasValue(5);
        assertThat(gguf.tensors()).hasSize(48);
        assertThat(gguf.vocabularySize()).isEqualTo(512);
        assertThat(gguf.chatTemplate()).hasValueSatisfying(t -> assertThat(t).contains("<|im_start|>"));
        GgufFile.SpecialTokens special = gguf.specialTokens();
        assertThat(special.bos()).hasValue(1);
        assertThat(special.eos()).hasValue(2);
        assertThat(special.bosText()).isEqualTo("<s>");
        assertThat(special.eosText()).isEqualTo("</s>");
        assertThat(special.addBos()).isTrue();
        assertThat(GgufFile.read(TestModels.require(TestModels.STORIES)).chatTemplate()).isEmpty();
    }

    @Test
    void writerAndReaderAgree(@TempDir Path dir) {
        // given
        var synthetic = new SyntheticLlamaGguf().shape(64, 2, 4, 2, 96, 400).weightType(GgmlType.Q8_0)
                .randomWeights(7).chatTemplate("{{ messages[0].content }}");
        // when
        GgufFile gguf = GgufFile.read(synthetic.write(dir.resolve("s.gguf")));
        // then
        assertThat(gguf.parameterCount()).isEqualTo(synthetic.parameterCount());
        assertThat(gguf.quantization()).isEqualTo("Q8_0");
        assertThat(gguf.integer("llama.attention.head_count_kv")).hasValue(2);
        assertThat(gguf.metadata().get("llama.rope.freq_base")).isEqualTo(10000.0);
        assertThat(gguf.valueType("llama.block_count")).hasValue(GgufValueType.UINT32);
        assertThat(gguf.metadata().get("tokenizer.ggml.tokens")).asInstanceOf(
                org.assertj.core.api.InstanceOfAssertFactories.LIST).hasSize(400).startsWith("<unk>", "<s>", "</s>");
        GgufTensor k = gguf.tensors().stream().filter(t -> t.name().equals("blk.1.attn_k.weight")).findFirst()
                .orElseThrow();
        assertThat(k.dimensions()).containsExactly(64, 32);
        assertThat(k.byteSize()).isEqualTo(64L * 32 / 32 * 34);
        assertThat(gguf.tensors()).allSatisfy(t -> assertThat(t.offset() % gguf.alignment()).isZero());
        assertThat(gguf.dataOffset() + gguf.tensors().get(gguf.tensors().size() - 1).offset())
                .isLessThan(gguf.fileSize());
        assertThat(List.of(gguf.chatTemplate().orElseThrow())).containsExactly("{{ messages[0].content }}");
    }
}
