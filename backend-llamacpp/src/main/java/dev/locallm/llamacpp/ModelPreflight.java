package dev.locallm.llamacpp;

import dev.locallm.error.ModelLoadException;
import dev.locallm.llamacpp.gguf.GgufFile;
import java.util.List;
import java.util.OptionalLong;

/**
 * Checks a structurally valid GGUF file for hyperparameters that llama.cpp would not reject but crash on
 * (a zero head count divides by zero; a score array shorter than the vocabulary is read past its end).
 * It cannot prove a file safe, only refuse the cases known to take the process down.
 */
final class ModelPreflight {
    private static final long MAX_LAYERS = 4096;

    private ModelPreflight() {
    }

    static void check(GgufFile gguf) {
        String arch = gguf.architecture();
        if (gguf.tensors().isEmpty()) {
            throw fail(gguf, "it holds no tensors");
        }
        if (!gguf.string("general.architecture").isPresent()) {
            throw fail(gguf, "general.architecture is missing");
        }
        int vocabulary = gguf.vocabularySize();
        if (vocabulary == 0) {
            throw fail(gguf, "tokenizer.ggml.tokens is missing or empty");
        }
        for (String key : List.of("tokenizer.ggml.scores", "tokenizer.ggml.token_type")) {
            if (gguf.metadata().get(key) instanceof List<?> l && l.size() != vocabulary) {
                throw fail(gguf, key + " has " + l.size() + " entries for " + vocabulary + " tokens");
            }
        }
        for (String key : List.of("bos_token_id", "eos_token_id", "unknown_token_id", "padding_token_id",
                "separator_token_id", "eot_token_id")) {
            OptionalLong id = gguf.integer("tokenizer.ggml." + key);
            if (id.isPresent() && (id.getAsLong() < 0 || id.getAsLong() >= vocabulary)) {
                throw fail(gguf, "tokenizer.ggml." + key + " = " + id.getAsLong() + " is outside the vocabulary of "
                        + vocabulary + " tokens");
            }
        }
        positive(gguf, arch + ".block_count", MAX_LAYERS);
        positive(gguf, arch + ".embedding_length", 1L << 20);
        positive(gguf, arch + ".context_length", 1L << 24);
        positive(gguf, arch + ".feed_forward_length", 1L << 24);
        OptionalLong heads = positive(gguf, arch + ".attention.head_count", 1L << 16);
        OptionalLong kvHeads = positive(gguf, arch + ".attention.head_count_kv", 1L << 16);
        OptionalLong embedding = gguf.integer(arch + ".embedding_length");
        if (heads.isPresent() && kvHeads.isPresent() && heads.getAsLong() % kvHeads.getAsLong() != 0) {
            throw fail(gguf, arch + ".attention.head_count " + heads.getAsLong()
                    + " is not a multiple of head_count_kv " + kvHeads.getAsLong());
        }
        if (heads.isPresent() && embedding.isPresent() && gguf.integer(arch + ".attention.key_length").isEmpty()
                && embedding.getAsLong() % heads.getAsLong() != 0) {
            throw fail(gguf, arch + ".embedding_length " + embedding.getAsLong()
                    + " is not a multiple of attention.head_count " + heads.getAsLong());
        }
    }

    /** Checks a scalar hyperparameter when present (arrays, used by some architectures per layer, pass). */
    private static OptionalLong positive(GgufFile gguf, String key, long max) {
        Object value = gguf.metadata().get(key);
        if (value == null || value instanceof List<?>) {
            return OptionalLong.empty();
        }
        if (!(value instanceof Long l) || l < 1 || l > max) {
            throw fail(gguf, key + " = " + value + " is not a whole number in 1.." + max);
        }
        return OptionalLong.of(l);
    }

    private static ModelLoadException fail(GgufFile gguf, String problem) {
        return new ModelLoadException("Refusing to load " + gguf.path().getFileName() + ": " + problem);
    }
}
