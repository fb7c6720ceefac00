package dev.locallm.llamacpp;

import dev.locallm.error.ModelLoadException;
import dev.locallm.llamacpp.gguf.GgufFile;
import dev.locallm.llamacpp.gguf.GgufText;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.regex.Pattern;

/**
 * Checks a structurally valid GGUF file for hyperparameters that llama.cpp would not reject but crash on
 * (a zero head count divides by zero; a score array shorter than the vocabulary is read past its end).
 * It cannot prove a file safe, only refuse the cases known to take the process down.
 */
final class ModelPreflight {
    private static final long MAX_LAYERS = 4096;

    private static final Pattern ARCHITECTURE_NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

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
        if (!ARCHITECTURE_NAME.matcher(arch).matches()) {
            throw fail(gguf, field(gguf, "general.architecture") + " = " + GgufText.quoted(arch)
                    + " is not an architecture name");
        }
        int vocabulary = gguf.vocabularySize();
        if (vocabulary == 0) {
            throw fail(gguf, "tokenizer.ggml.tokens is missing or empty");
        }
        if (gguf.metadata().get("tokenizer.ggml.tokens") instanceof List<?> tokens) {
            Map<String, Integer> first = new HashMap<>();
            for (int id = 0; id < tokens.size(); id++) {
                String text = String.valueOf(tokens.get(id));
                if (text.indexOf('\uFFFD') >= 0) {
                    continue;
                }
                Integer earlier = first.putIfAbsent(text.isEmpty() ? "[EMPTY_" + id + "]" : text, id);
                if (earlier != null) {
                    throw fail(gguf, field(gguf, "tokenizer.ggml.tokens") + " holds "
                            + GgufText.quoted(text) + " twice, as tokens " + earlier
                            + " and " + id + " (llama.cpp b4916 aborts the process on such a vocabulary)");
                }
            }
        }
        for (String key : List.of("tokenizer.ggml.scores", "tokenizer.ggml.token_type")) {
            if (gguf.metadata().get(key) instanceof List<?> l && l.size() != vocabulary) {
                throw fail(gguf, field(gguf, key) + " has " + l.size() + " entries for " + vocabulary + " tokens");
            }
        }
        for (String key : List.of("bos_token_id", "eos_token_id", "unknown_token_id", "padding_token_id",
                "separator_token_id", "eot_token_id")) {
            OptionalLong id = gguf.integer("tokenizer.ggml." + key);
            if (id.isPresent() && (id.getAsLong() < 0 || id.getAsLong() >= vocabulary)) {
                throw fail(gguf, field(gguf, "tokenizer.ggml." + key) + " = " + id.getAsLong()
                        + " is outside the vocabulary of " + vocabulary + " tokens");
            }
        }
        for (Map.Entry<String, Object> e : gguf.metadata().entrySet()) {
            if (e.getKey().startsWith(arch + ".") && e.getValue() instanceof Double d) {
                if (!Double.isFinite(d) || (e.getKey().endsWith("_epsilon") && d < 0)) {
                    throw fail(gguf, field(gguf, e.getKey()) + " = " + d + " is not a "
                            + (e.getKey().endsWith("_epsilon") ? "finite, non-negative" : "finite") + " number");
                }
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
            throw fail(gguf, field(gguf, arch + ".attention.head_count") + " = " + heads.getAsLong()
                    + " is not a multiple of head_count_kv " + kvHeads.getAsLong());
        }
        if (heads.isPresent() && embedding.isPresent() && gguf.integer(arch + ".attention.key_length").isEmpty()
                && embedding.getAsLong() % heads.getAsLong() != 0) {
            throw fail(gguf, field(gguf, arch + ".embedding_length") + " = " + embedding.getAsLong()
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
            throw fail(gguf, field(gguf, key) + " = " + (value instanceof String text ? GgufText.quoted(text) : value)
                    + " is not a whole number in 1.." + max);
        }
        return OptionalLong.of(l);
    }

    /** The key and where its value is, for a message. */
    private static String field(GgufFile gguf, String key) {
        OptionalLong offset = gguf.valueOffset(key);
        return offset.isPresent() ? key + " at offset " + offset.getAsLong() : key;
    }

    private static ModelLoadException fail(GgufFile gguf, String problem) {
        return new ModelLoadException("Refusing to load " + gguf.path().getFileName() + ": " + problem);
    }
}
