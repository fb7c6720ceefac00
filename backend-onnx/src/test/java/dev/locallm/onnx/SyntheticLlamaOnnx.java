package dev.locallm.onnx;

import com.google.protobuf.CodedOutputStream;
import dev.locallm.llamacpp.gguf.SyntheticLlamaGguf;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;

/**
 * Writes the model {@link SyntheticLlamaGguf} writes with random F32 weights, the same weights, as an ONNX decoder
 * folder the ONNX backend loads: the graph onnxruntime-genai's model builder writes for Llama (matrix products,
 * RMS norms from standard operators, ONNX Runtime's {@code GroupQueryAttention} with the rotation of adjacent pairs
 * llama.cpp applies, {@code cos_cache}/{@code sin_cache} tables), weights in {@code model.onnx.data}, and a
 * {@code tokenizer.json} with the GGUF's vocabulary and no merges, which splits text as llama.cpp does that
 * vocabulary: one token a character. So both backends run the same function on the same token ids, in F32.
 * Protobuf is written by hand with protobuf-java's {@link CodedOutputStream} (no ONNX classes on Maven Central).
 * With {@link #halfCache()} the KV cache and the logits are float16 at the graph's edge (cast from and to the F32
 * arithmetic), as in float16 exports. For tests and benchmarks (the test jar). Not thread-safe.
 */
public final class SyntheticLlamaOnnx {
    private static final int FLOAT = 1;
    private static final int INT32 = 6;
    private static final int FLOAT16 = 10;
    private static final int INT64 = 7;
    private static final int ATTR_FLOAT = 1;
    private static final int ATTR_INT = 2;
    private static final int ATTR_INTS = 7;

    private final int hidden;
    private final int layers;
    private final int heads;
    private final int kvHeads;
    private final int feedForward;
    private final int vocabulary;
    private final int context;
    private final long seed;
    private boolean halfCache;
    private final List<byte[]> nodes = new ArrayList<>();
    private final List<byte[]> initializers = new ArrayList<>();
    private OutputStream data;
    private long dataOffset;
    private int counter;

    /**
     * A model of this shape whose weights are those of {@code new SyntheticLlamaGguf().shape(hidden, layers, heads,
     * kvHeads, feedForward, vocabulary).randomWeights(seed).dropTensor("output.weight")} in F32.
     */
    public SyntheticLlamaOnnx(int hidden, int layers, int heads, int kvHeads, int feedForward, int vocabulary,
                              int context, long seed) {
        this.hidden = hidden;
        this.layers = layers;
        this.heads = heads;
        this.kvHeads = kvHeads;
        this.feedForward = feedForward;
        this.vocabulary = vocabulary;
        this.context = context;
        this.seed = seed;
    }

    /** The KV cache and logits as float16 at the graph's inputs and outputs. */
    public SyntheticLlamaOnnx halfCache() {
        this.halfCache = true;
        return this;
    }

    /** Writes the folder; the GGUF twin has tied embeddings ({@code output.weight} dropped). */
    public void write(Path folder) throws IOException {
        Files.createDirectories(folder);
        int head = hidden / heads;
        try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(folder.resolve(
                "model.onnx.data")), 1 << 20)) {
            data = out;
            graph(head);
        }
        Msg graph = new Msg();
        nodes.forEach(n -> graph.bytes(1, n));
        graph.str(2, "synthetic-llama");
        initializers.forEach(t -> graph.bytes(5, t));
        graph.bytes(11, valueInfo("input_ids", INT64, "batch", "sequence"));
        graph.bytes(11, valueInfo("attention_mask", INT64, "batch", "total"));
        for (int l = 0; l < layers; l++) {
            for (String kv : List.of("key", "value")) {
                graph.bytes(11, valueInfo("past_key_values." + l + "." + kv, cacheType(), "batch", kvHeads, "past",
                        head));
            }
        }
        graph.bytes(12, valueInfo("logits", cacheType(), "batch", "sequence", vocabulary));
        for (int l = 0; l < layers; l++) {
            for (String kv : List.of("key", "value")) {
                graph.bytes(12, valueInfo("present." + l + "." + kv, cacheType(), "batch", kvHeads, "total", head));
            }
        }
        Msg model = new Msg().i64(1, 8).str(2, "locallm-bench");
        model.bytes(8, new Msg().str(1, "").i64(2, 17).done());
        model.bytes(8, new Msg().str(1, "com.microsoft").i64(2, 1).done());
        model.bytes(7, graph.done());
        Files.write(folder.resolve("model.onnx"), model.done());
        writeConfigs(folder, head);
    }

    private void graph(int head) throws IOException {
        constant("axis_1", INT64, new long[] {1}, new long[] {1});
        constant("one", INT64, new long[] {1}, new long[] {1});
        constant("index_1", INT64, new long[] {}, new long[] {1});
        node("ReduceSum", List.of("attention_mask", "axis_1"), List.of("mask_sum"), "", Map.of("keepdims", 0L));
        node("Sub", List.of("mask_sum", "one"), List.of("seqlens_k64"), "", Map.of());
        node("Cast", List.of("seqlens_k64"), List.of("seqlens_k"), "", Map.of("to", (long) INT32));
        node("Shape", List.of("attention_mask"), List.of("mask_shape"), "", Map.of());
        node("Gather", List.of("mask_shape", "index_1"), List.of("total64"), "", Map.of());
        node("Cast", List.of("total64"), List.of("total_sequence_length"), "", Map.of("to", (long) INT32));
        ropeTables(head);
        weight("token_embd.weight", vocabulary, hidden, false);
        node("Gather", List.of("token_embd.weight", "input_ids"), List.of("x_0"), "", Map.of());
        String x = "x_0";
        int kv = head * kvHeads;
        for (int l = 0; l < layers; l++) {
            String p = "blk." + l + ".";
            String normed = rmsNorm(x, p + "attn_norm.weight");
            String q = matMul(normed, p + "attn_q.weight", hidden, hidden);
            String k = matMul(normed, p + "attn_k.weight", hidden, kv);
            String v = matMul(normed, p + "attn_v.weight", hidden, kv);
            String attention = name("attention");
            String pastKey = fromCache("past_key_values." + l + ".key");
            String pastValue = fromCache("past_key_values." + l + ".value");
            String presentKey = halfCache ? name("present_key") : "present." + l + ".key";
            String presentValue = halfCache ? name("present_value") : "present." + l + ".value";
            node("GroupQueryAttention", List.of(q, k, v, pastKey, pastValue, "seqlens_k", "total_sequence_length",
                    "cos_cache", "sin_cache"), List.of(attention, presentKey, presentValue), "com.microsoft",
                    Map.of("num_heads", (long) heads, "kv_num_heads", (long) kvHeads, "do_rotary", 1L,
                            "rotary_interleaved", 1L));
            if (halfCache) {
                node("Cast", List.of(presentKey), List.of("present." + l + ".key"), "", Map.of("to", (long) FLOAT16));
                node("Cast", List.of(presentValue), List.of("present." + l + ".value"), "",
                        Map.of("to", (long) FLOAT16));
            }
            x = add(x, matMul(attention, p + "attn_output.weight", hidden, hidden));
            String ffnIn = rmsNorm(x, p + "ffn_norm.weight");
            String gate = matMul(ffnIn, p + "ffn_gate.weight", hidden, feedForward);
            String up = matMul(ffnIn, p + "ffn_up.weight", hidden, feedForward);
            String sigmoid = name("sigmoid");
            node("Sigmoid", List.of(gate), List.of(sigmoid), "", Map.of());
            String silu = binary("Mul", gate, sigmoid);
            x = add(x, matMul(binary("Mul", silu, up), p + "ffn_down.weight", feedForward, hidden));
        }
        String last = rmsNorm(x, "output_norm.weight");
        float[] embedding = SyntheticLlamaGguf.randomF32(seed, "token_embd.weight", vocabulary * hidden);
        initializer("lm_head", new long[] {hidden, vocabulary}, transposed(embedding, vocabulary, hidden));
        if (halfCache) {
            node("MatMul", List.of(last, "lm_head"), List.of("logits_32"), "", Map.of());
            node("Cast", List.of("logits_32"), List.of("logits"), "", Map.of("to", (long) FLOAT16));
        } else {
            node("MatMul", List.of(last, "lm_head"), List.of("logits"), "", Map.of());
        }
    }

    private int cacheType() {
        return halfCache ? FLOAT16 : FLOAT;
    }

    /** A cache input as F32: itself, or cast from float16. */
    private String fromCache(String input) {
        if (!halfCache) {
            return input;
        }
        String wide = name("past");
        node("Cast", List.of(input), List.of(wide), "", Map.of("to", (long) FLOAT));
        return wide;
    }

    private void ropeTables(int head) throws IOException {
        int half = head / 2;
        float[] cos = new float[context * half];
        float[] sin = new float[context * half];
        for (int p = 0; p < context; p++) {
            for (int i = 0; i < half; i++) {
                double angle = p * Math.pow(10000, -2.0 * i / head);
                cos[p * half + i] = (float) Math.cos(angle);
                sin[p * half + i] = (float) Math.sin(angle);
            }
        }
        initializer("cos_cache", new long[] {context, half}, cos);
        initializer("sin_cache", new long[] {context, half}, sin);
    }

    private String rmsNorm(String x, String weight) throws IOException {
        if (!initializerWritten(weight)) {
            float[] ones = new float[hidden];
            java.util.Arrays.fill(ones, 1f);
            initializer(weight, new long[] {hidden}, ones);
        }
        String epsilon = name("epsilon");
        initializer(epsilon, new long[] {}, new float[] {1e-5f});
        String squared = binary("Mul", x, x);
        String mean = name("mean");
        node("ReduceMean", List.of(squared), List.of(mean), "", Map.of("axes", new long[] {-1}, "keepdims", 1L));
        String root = name("root");
        node("Sqrt", List.of(binary("Add", mean, epsilon)), List.of(root), "", Map.of());
        return binary("Mul", binary("Div", x, root), weight);
    }

    private final java.util.Set<String> written = new java.util.HashSet<>();

    private boolean initializerWritten(String name) {
        return written.contains(name);
    }

    /** {@code x} times the GGUF matrix {@code name} ({@code out} rows of {@code in}), transposed for MatMul. */
    private String matMul(String x, String name, int in, int out) throws IOException {
        weight(name, out, in, true);
        String y = name("matmul");
        node("MatMul", List.of(x, name), List.of(y), "", Map.of());
        return y;
    }

    private void weight(String name, int rows, int columns, boolean transpose) throws IOException {
        float[] values = SyntheticLlamaGguf.randomF32(seed, name, rows * columns);
        if (transpose) {
            initializer(name, new long[] {columns, rows}, transposed(values, rows, columns));
        } else {
            initializer(name, new long[] {rows, columns}, values);
        }
    }

    private static float[] transposed(float[] values, int rows, int columns) {
        float[] out = new float[values.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < columns; c++) {
                out[c * rows + r] = values[r * columns + c];
            }
        }
        return out;
    }

    private String add(String a, String b) {
        return binary("Add", a, b);
    }

    private String binary(String op, String a, String b) {
        String out = name(op.toLowerCase(java.util.Locale.ROOT));
        node(op, List.of(a, b), List.of(out), "", Map.of());
        return out;
    }

    private String name(String prefix) {
        return prefix + "_" + (++counter);
    }

    private void node(String op, List<String> inputs, List<String> outputs, String domain, Map<String, Object> attrs) {
        Msg n = new Msg();
        inputs.forEach(i -> n.str(1, i));
        outputs.forEach(o -> n.str(2, o));
        n.str(3, name(op)).str(4, op);
        for (Map.Entry<String, Object> a : new java.util.TreeMap<>(attrs).entrySet()) {
            Msg attr = new Msg().str(1, a.getKey());
            if (a.getValue() instanceof Long i) {
                attr.i64(3, i).i64(20, ATTR_INT);
            } else if (a.getValue() instanceof long[] ints) {
                for (long i : ints) {
                    attr.i64(8, i);
                }
                attr.i64(20, ATTR_INTS);
            } else {
                attr.f32(2, (Float) a.getValue()).i64(20, ATTR_FLOAT);
            }
            n.bytes(5, attr.done());
        }
        if (!domain.isEmpty()) {
            n.str(7, domain);
        }
        nodes.add(n.done());
    }

    private void constant(String name, int type, long[] dims, long[] values) {
        Msg t = new Msg();
        for (long d : dims) {
            t.i64(1, d);
        }
        t.i64(2, type).str(8, name);
        ByteBuffer raw = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            raw.putLong(v);
        }
        t.bytes(9, raw.array());
        initializers.add(t.done());
    }

    /** A float initializer whose data goes to {@code model.onnx.data}. */
    private void initializer(String name, long[] dims, float[] values) throws IOException {
        written.add(name);
        ByteBuffer raw = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        raw.asFloatBuffer().put(values);
        data.write(raw.array());
        Msg t = new Msg();
        for (long d : dims) {
            t.i64(1, d);
        }
        t.i64(2, FLOAT).str(8, name);
        t.bytes(13, new Msg().str(1, "location").str(2, "model.onnx.data").done());
        t.bytes(13, new Msg().str(1, "offset").str(2, Long.toString(dataOffset)).done());
        t.bytes(13, new Msg().str(1, "length").str(2, Long.toString(raw.capacity())).done());
        t.i64(14, 1);
        dataOffset += raw.capacity();
        initializers.add(t.done());
    }

    private static byte[] valueInfo(String name, int type, Object... dims) {
        Msg shape = new Msg();
        for (Object d : dims) {
            shape.bytes(1, d instanceof Integer i ? new Msg().i64(1, i).done() : new Msg().str(2, (String) d).done());
        }
        Msg tensor = new Msg().i64(1, type).bytes(2, shape.done());
        return new Msg().str(1, name).bytes(2, new Msg().bytes(1, tensor.done()).done()).done();
    }

    private void writeConfigs(Path folder, int head) throws IOException {
        JsonMapper json = JsonMapper.shared();
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("architectures", List.of("LlamaForCausalLM"));
        config.put("model_type", "llama");
        config.put("vocab_size", vocabulary);
        config.put("hidden_size", hidden);
        config.put("num_hidden_layers", layers);
        config.put("num_attention_heads", heads);
        config.put("num_key_value_heads", kvHeads);
        config.put("max_position_embeddings", context);
        config.put("bos_token_id", 1);
        config.put("eos_token_id", 2);
        Files.writeString(folder.resolve("config.json"), json.writeValueAsString(config));
        Map<String, Object> decoder = Map.of("filename", "model.onnx", "head_size", head, "hidden_size", hidden,
                "num_attention_heads", heads, "num_hidden_layers", layers, "num_key_value_heads", kvHeads);
        Files.writeString(folder.resolve("genai_config.json"), json.writeValueAsString(Map.of("model", Map.of(
                "bos_token_id", 1, "eos_token_id", 2, "context_length", context, "vocab_size", vocabulary,
                "type", "llama", "decoder", decoder))));
        Files.writeString(folder.resolve("tokenizer_config.json"), json.writeValueAsString(Map.of("bos_token", "<s>",
                "eos_token", "</s>", "unk_token", "<unk>", "add_bos_token", true, "add_eos_token", false)));
        Map<String, Integer> vocab = new LinkedHashMap<>();
        List<String> tokens = SyntheticLlamaGguf.vocabulary(vocabulary);
        for (int i = 0; i < tokens.size(); i++) {
            vocab.putIfAbsent(tokens.get(i), i);
        }
        List<Map<String, Object>> added = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            added.add(Map.of("id", i, "content", tokens.get(i), "single_word", false, "lstrip", false, "rstrip", false,
                    "normalized", false, "special", true));
        }
        Map<String, Object> tokenizer = new LinkedHashMap<>();
        tokenizer.put("version", "1.0");
        tokenizer.put("added_tokens", added);
        tokenizer.put("normalizer", Map.of("type", "Sequence", "normalizers", List.of(
                Map.of("type", "Prepend", "prepend", "\u2581"),
                Map.of("type", "Replace", "pattern", Map.of("String", " "), "content", "\u2581"))));
        tokenizer.put("decoder", Map.of("type", "Sequence", "decoders", List.of(
                Map.of("type", "Replace", "pattern", Map.of("String", "\u2581"), "content", " "),
                Map.of("type", "ByteFallback"), Map.of("type", "Fuse"),
                Map.of("type", "Strip", "content", " ", "start", 1, "stop", 0))));
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("type", "BPE");
        model.put("unk_token", "<unk>");
        model.put("fuse_unk", true);
        model.put("byte_fallback", true);
        model.put("vocab", vocab);
        model.put("merges", List.of());
        tokenizer.put("model", model);
        Files.writeString(folder.resolve("tokenizer.json"), json.writeValueAsString(tokenizer));
    }

    /** A protobuf message being written: fields in the order they are added. */
    private static final class Msg {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final CodedOutputStream out = CodedOutputStream.newInstance(bytes);

        Msg str(int field, String value) {
            return io(() -> out.writeString(field, value));
        }

        Msg i64(int field, long value) {
            return io(() -> out.writeInt64(field, value));
        }

        Msg f32(int field, float value) {
            return io(() -> out.writeFloat(field, value));
        }

        Msg bytes(int field, byte[] value) {
            return io(() -> out.writeByteArray(field, value));
        }

        byte[] done() {
            io(out::flush);
            return bytes.toByteArray();
        }

        private Msg io(IoAction action) {
            try {
                action.run();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return this;
        }

        private interface IoAction {
            void run() throws IOException;
        }
    }
}
