package dev.locallm.llamacpp.gguf;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Writes a llama-architecture GGUF of any shape with zero or random weights, for tests (tiny, malformed on
 * purpose) and benchmarks (a real model's shape, since no real model can be downloaded here). Its vocabulary
 * has the three special tokens, 256 byte tokens and one token per printable ASCII character, so a prompt of
 * n plain characters is about n tokens. Not thread-safe.
 */
public final class SyntheticLlamaGguf {
    private int embedding = 64;
    private int layers = 2;
    private int heads = 4;
    private int kvHeads = 4;
    private int feedForward = 128;
    private int vocabulary = 512;
    private int context = 512;
    private GgmlType weightType = GgmlType.F32;
    private Long seed;
    private String chatTemplate;
    private final Map<String, Object> overrides = new LinkedHashMap<>();
    private final List<String> removed = new ArrayList<>();
    private final List<String> droppedTensors = new ArrayList<>();
    private List<String> tokens;

    public SyntheticLlamaGguf shape(int embedding, int layers, int heads, int kvHeads, int feedForward, int vocabulary) {
        this.embedding = embedding;
        this.layers = layers;
        this.heads = heads;
        this.kvHeads = kvHeads;
        this.feedForward = feedForward;
        this.vocabulary = vocabulary;
        return this;
    }

    public SyntheticLlamaGguf context(int context) {
        this.context = context;
        return this;
    }

    /** The type of the large weight matrices; norms stay F32 as in real models. */
    public SyntheticLlamaGguf weightType(GgmlType type) {
        this.weightType = type;
        return this;
    }

    /** Random weights from this seed instead of zeros. */
    public SyntheticLlamaGguf randomWeights(long seed) {
        this.seed = seed;
        return this;
    }

    public SyntheticLlamaGguf chatTemplate(String template) {
        this.chatTemplate = template;
        return this;
    }

    /** Replaces a metadata value (a Long is written as uint32, a Double as float32). */
    public SyntheticLlamaGguf set(String key, Object value) {
        overrides.put(key, value);
        return this;
    }

    /** Replaces the vocabulary's token texts (scores and types stay as many as {@code tokens}). */
    public SyntheticLlamaGguf tokens(List<String> tokens) {
        this.tokens = List.copyOf(tokens);
        return this;
    }

    public SyntheticLlamaGguf remove(String key) {
        removed.add(key);
        return this;
    }

    public SyntheticLlamaGguf dropTensor(String name) {
        droppedTensors.add(name);
        return this;
    }

    /** Number of weights the file will hold. */
    public long parameterCount() {
        long kv = (long) embedding / heads * kvHeads;
        long perLayer = 2L * embedding + 2L * embedding * embedding + 2L * embedding * kv + 3L * embedding * feedForward;
        return 2L * embedding * vocabulary + embedding + layers * perLayer;
    }

    public Path write(Path path) {
        GgufWriter w = new GgufWriter();
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("general.architecture", "llama");
        meta.put("general.name", "synthetic-llama");
        meta.put("general.file_type", (long) fileType());
        meta.put("llama.context_length", (long) context);
        meta.put("llama.embedding_length", (long) embedding);
        meta.put("llama.block_count", (long) layers);
        meta.put("llama.feed_forward_length", (long) feedForward);
        meta.put("llama.rope.dimension_count", (long) (embedding / heads));
        meta.put("llama.attention.head_count", (long) heads);
        meta.put("llama.attention.head_count_kv", (long) kvHeads);
        meta.put("llama.attention.layer_norm_rms_epsilon", 1e-5);
        meta.put("llama.rope.freq_base", 10000.0);
        meta.put("tokenizer.ggml.model", "llama");
        meta.put("tokenizer.ggml.bos_token_id", 1L);
        meta.put("tokenizer.ggml.eos_token_id", 2L);
        meta.put("tokenizer.ggml.unknown_token_id", 0L);
        if (chatTemplate != null) {
            meta.put("tokenizer.chat_template", chatTemplate);
        }
        meta.putAll(overrides);
        removed.forEach(meta::remove);
        for (Map.Entry<String, Object> e : meta.entrySet()) {
            Object v = e.getValue();
            if (v instanceof String s) {
                w.string(e.getKey(), s);
            } else if (v instanceof Long l) {
                w.uint32(e.getKey(), l);
            } else if (v instanceof Double d) {
                w.float32(e.getKey(), d);
            } else if (v instanceof Boolean b) {
                w.bool(e.getKey(), b);
            } else {
                throw new IllegalArgumentException("unsupported metadata value " + v);
            }
        }
        if (!removed.contains("tokenizer.ggml.tokens")) {
            List<String> tokens = this.tokens != null ? this.tokens : vocabulary(vocabulary);
            List<Double> scores = new ArrayList<>();
            List<Long> types = new ArrayList<>();
            for (int i = 0; i < tokens.size(); i++) {
                scores.add(i < 259 ? 0.0 : -i / 100.0);
                types.add(i == 0 ? 2L : i < 3 ? 3L : i < 259 ? 6L : 1L);
            }
            w.array("tokenizer.ggml.tokens", GgufValueType.STRING, tokens);
            w.array("tokenizer.ggml.scores", GgufValueType.FLOAT32, scores);
            w.array("tokenizer.ggml.token_type", GgufValueType.INT32, types);
        }
        long kv = (long) embedding / heads * kvHeads;
        tensor(w, "token_embd.weight", weightType, embedding, vocabulary);
        tensor(w, "output_norm.weight", GgmlType.F32, embedding);
        tensor(w, "output.weight", weightType, embedding, vocabulary);
        for (int l = 0; l < layers; l++) {
            String p = "blk." + l + ".";
            tensor(w, p + "attn_norm.weight", GgmlType.F32, embedding);
            tensor(w, p + "attn_q.weight", weightType, embedding, embedding);
            tensor(w, p + "attn_k.weight", weightType, embedding, kv);
            tensor(w, p + "attn_v.weight", weightType, embedding, kv);
            tensor(w, p + "attn_output.weight", weightType, embedding, embedding);
            tensor(w, p + "ffn_norm.weight", GgmlType.F32, embedding);
            tensor(w, p + "ffn_gate.weight", weightType, embedding, feedForward);
            tensor(w, p + "ffn_down.weight", weightType, feedForward, embedding);
            tensor(w, p + "ffn_up.weight", weightType, embedding, feedForward);
        }
        w.write(path);
        return path;
    }

    private int fileType() {
        return switch (weightType) {
            case F32 -> 0;
            case F16 -> 1;
            case Q4_0 -> 2;
            case Q8_0 -> 7;
            default -> throw new IllegalArgumentException("unsupported weight type " + weightType);
        };
    }

    private void tensor(GgufWriter w, String name, GgmlType type, long... dims) {
        if (droppedTensors.contains(name)) {
            return;
        }
        boolean norm = name.endsWith("norm.weight");
        long tensorSeed = seed == null ? 0 : seed ^ name.hashCode();
        w.tensor(name, type, dims, seed == null && !norm ? GgufWriter.TensorData.zeros()
                : (tensor, out) -> writeData(tensor, out, norm, new SplittableRandom(tensorSeed)));
    }

    private static void writeData(GgufTensor tensor, OutputStream out, boolean norm, SplittableRandom random)
            throws IOException {
        ByteBuffer block = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        long elements = tensor.elementCount();
        Consumer<ByteBuffer> flush = b -> {
            try {
                out.write(b.array(), 0, b.position());
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            b.clear();
        };
        switch (tensor.type()) {
            case F32 -> {
                for (long i = 0; i < elements; i++) {
                    if (block.remaining() < 4) {
                        flush.accept(block);
                    }
                    block.putFloat(norm ? 1f : nextWeight(random));
                }
            }
            case F16 -> {
                for (long i = 0; i < elements; i++) {
                    if (block.remaining() < 2) {
                        flush.accept(block);
                    }
                    block.putShort(half((float) (random.nextDouble() - 0.5) * 0.04f));
                }
            }
            case Q8_0, Q4_0 -> {
                float scale = tensor.type() == GgmlType.Q8_0 ? 0.0005f : 0.003f;
                byte[] quants = new byte[tensor.type().typeSize() - 2];
                for (long b = 0; b < elements / 32; b++) {
                    if (block.remaining() < tensor.type().typeSize()) {
                        flush.accept(block);
                    }
                    block.putShort(half(scale));
                    random.nextBytes(quants);
                    block.put(quants);
                }
            }
            default -> throw new IllegalArgumentException("unsupported type " + tensor.type());
        }
        flush.accept(block);
    }

    /** A random weight: uniform in [-0.02, 0.02). */
    private static float nextWeight(SplittableRandom random) {
        return (float) (random.nextDouble() - 0.5) * 0.04f;
    }

    /**
     * The values of the F32 tensor {@code name} (not a norm) of a model with {@link #randomWeights random weights}
     * from {@code seed}, in file order: for writing the same model in another format.
     */
    public static float[] randomF32(long seed, String name, int count) {
        SplittableRandom random = new SplittableRandom(seed ^ name.hashCode());
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = nextWeight(random);
        }
        return values;
    }

    /** IEEE 754 half precision of a small normal float. */
    private static short half(float f) {
        int bits = Float.floatToIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int exponent = ((bits >>> 23) & 0xFF) - 127 + 15;
        int mantissa = (bits >>> 13) & 0x3FF;
        if (exponent <= 0) {
            return (short) sign;
        }
        return (short) (sign | (exponent << 10) | mantissa);
    }

    /**
     * The vocabulary a model of {@code vocabulary} tokens gets: {@code <unk>}, {@code <s>}, {@code </s>}, the 256
     * byte tokens, {@code ▁}, the printable ASCII characters, then {@code ▁w0}, {@code ▁w1}... as needed.
     */
    public static List<String> vocabulary(int vocabulary) {
        List<String> tokens = new ArrayList<>(vocabulary);
        tokens.add("<unk>");
        tokens.add("<s>");
        tokens.add("</s>");
        for (int b = 0; b < 256; b++) {
            tokens.add(String.format("<0x%02X>", b));
        }
        tokens.add("\u2581");
        for (char c = '!'; c <= '~' && tokens.size() < vocabulary; c++) {
            tokens.add(String.valueOf(c));
        }
        for (int i = 0; tokens.size() < vocabulary; i++) {
            tokens.add("\u2581w" + i);
        }
        return tokens.subList(0, vocabulary);
    }
}
