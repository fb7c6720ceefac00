package dev.locallm.onnx;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.locallm.error.GenerationException;
import dev.locallm.error.ModelLoadException;
import dev.locallm.spi.EmbeddingEngine;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.stream.Stream;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * An encoder ONNX model (BERT-like, as sentence-transformers export them: {@code input_ids}, {@code attention_mask},
 * optionally {@code token_type_ids} in; {@code last_hidden_state} out) as an embedding engine: the text's tokens
 * between the tokenizer's special tokens, the hidden states mean-pooled and the vector L2-normalised. A text longer
 * than the model's window is split into windows of whole tokens, each embedded alone, and the windows' vectors are
 * averaged, weighted by their token counts, then normalised. A model whose graph already pools (a rank-2 output such
 * as {@code sentence_embedding}) is used as it pools.
 *
 * <p>Thread-safe: ONNX Runtime sessions run concurrently. {@link #close()} waits for embeddings in progress, then
 * frees the session and tokenizer once.
 */
final class OnnxEmbeddingEngine implements EmbeddingEngine {
    private static final int DEFAULT_WINDOW = 512;

    private final OrtEnvironment env;
    private final OrtSession session;
    private final Tokenizer tokenizer;
    private final OnnxJavaType idType;
    private final OnnxJavaType maskType;
    private final boolean tokenTypes;
    private final String output;
    private final boolean pooled;
    private final int dimension;
    private final int[] prefix;
    private final int[] suffix;
    private final int window;
    private final ReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private final AtomicBoolean closed = new AtomicBoolean();

    private OnnxEmbeddingEngine(OrtEnvironment env, OrtSession session, Tokenizer tokenizer, Path folder)
            throws OrtException {
        this.env = env;
        this.session = session;
        this.tokenizer = tokenizer;
        Map<String, NodeInfo> inputs = session.getInputInfo();
        if (!inputs.containsKey("input_ids") || !inputs.containsKey("attention_mask")) {
            throw new ModelLoadException(folder + " does not hold an encoder this backend embeds with: its inputs are "
                    + inputs.keySet() + " (expected input_ids and attention_mask)");
        }
        if (inputs.keySet().stream().anyMatch(name -> name.startsWith("past"))) {
            throw new ModelLoadException(folder + " holds a decoder (it has KV-cache inputs); embeddings come from "
                    + "encoder models such as all-MiniLM-L6-v2");
        }
        this.idType = ((TensorInfo) inputs.get("input_ids").getInfo()).type;
        this.maskType = ((TensorInfo) inputs.get("attention_mask").getInfo()).type;
        this.tokenTypes = inputs.containsKey("token_type_ids");
        Map<String, NodeInfo> outputs = session.getOutputInfo();
        String chosen = null;
        boolean rank2 = false;
        for (String name : List.of("sentence_embedding", "last_hidden_state", "token_embeddings")) {
            if (outputs.containsKey(name)) {
                chosen = name;
                rank2 = ((TensorInfo) outputs.get(name).getInfo()).getShape().length == 2;
                break;
            }
        }
        if (chosen == null) {
            throw new ModelLoadException(folder + ": no output named sentence_embedding, last_hidden_state or "
                    + "token_embeddings; its outputs are " + outputs.keySet());
        }
        this.output = chosen;
        this.pooled = rank2;
        int[] plain = tokenizer.encode("x");
        int[] special = tokenizer.encodeWithSpecialTokens("x");
        int at = indexOf(special, plain);
        this.prefix = at < 0 ? new int[0] : Arrays.copyOfRange(special, 0, at);
        this.suffix = at < 0 ? new int[0] : Arrays.copyOfRange(special, at + plain.length, special.length);
        this.window = window(folder);
        if (window <= prefix.length + suffix.length) {
            throw new ModelLoadException(folder + ": a window of " + window + " tokens holds no text beside the "
                    + "special tokens");
        }
        this.dimension = run(new int[0]).length;
    }

    /**
     * Opens the encoder in {@code folder}: {@code model.onnx} (or the folder's only {@code .onnx} file) and
     * {@code tokenizer.json}; the window as {@link #window} says.
     *
     * @throws ModelLoadException naming what is missing or wrong
     */
    static OnnxEmbeddingEngine open(Path folder, OnnxOptions options) {
        if (!Files.isDirectory(folder)) {
            throw new ModelLoadException("ONNX model folder not found: " + folder);
        }
        Path model = encoderFile(folder);
        Path tokenizerJson = folder.resolve(ModelDirectory.TOKENIZER);
        if (!Files.isRegularFile(tokenizerJson)) {
            throw new ModelLoadException("No " + ModelDirectory.TOKENIZER + " in " + folder);
        }
        Tokenizer tokenizer = DjlTokenizer.open(tokenizerJson);
        OrtSession session;
        try {
            session = OrtSessions.open(model, options);
        } catch (RuntimeException e) {
            tokenizer.close();
            throw e;
        }
        try {
            return new OnnxEmbeddingEngine(OrtSessions.environment(), session, tokenizer, folder);
        } catch (OrtException | RuntimeException e) {
            OrtSessions.closeQuietly(session, e);
            tokenizer.close();
            throw e instanceof ModelLoadException m ? m
                    : new ModelLoadException("Cannot read the inputs of " + model + ": " + e.getMessage(), e);
        }
    }

    private static Path encoderFile(Path folder) {
        Path model = folder.resolve("model.onnx");
        if (Files.isRegularFile(model)) {
            return model;
        }
        try (Stream<Path> files = Files.list(folder)) {
            List<Path> onnx = files.filter(f -> f.getFileName().toString().endsWith(".onnx")).toList();
            if (onnx.size() == 1) {
                return onnx.get(0);
            }
            throw new ModelLoadException(folder + " holds " + (onnx.isEmpty() ? "no .onnx file"
                    : onnx.size() + " .onnx files and no model.onnx") + "; an encoder folder has model.onnx");
        } catch (IOException e) {
            throw new ModelLoadException("Cannot list " + folder + ": " + e.getMessage(), e);
        }
    }

    /**
     * The tokens the model was made to read at once: sentence-transformers' {@code max_seq_length}, else the
     * truncation {@code tokenizer.json} sets, else {@code config.json}'s {@code max_position_embeddings}, else 512.
     */
    private static int window(Path folder) {
        return intField(folder.resolve("sentence_bert_config.json"), "/max_seq_length")
                .or(() -> intField(folder.resolve(ModelDirectory.TOKENIZER), "/truncation/max_length"))
                .or(() -> intField(folder.resolve(ModelDirectory.CONFIG), "/max_position_embeddings"))
                .orElse(DEFAULT_WINDOW);
    }

    private static Optional<Integer> intField(Path file, String pointer) {
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            JsonNode value = JsonMapper.shared().readTree(Files.readString(file)).at(pointer);
            return value.isIntegralNumber() && value.asInt() > 0 ? Optional.of(value.asInt()) : Optional.empty();
        } catch (IOException | RuntimeException e) {
            throw new ModelLoadException(file + " is not valid JSON: " + e.getMessage(), e);
        }
    }

    private static int indexOf(int[] haystack, int[] needle) {
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public float[] embed(String text) {
        lifecycle.readLock().lock();
        try {
            if (closed.get()) {
                throw new IllegalStateException("the model is closed");
            }
            int[] ids = tokenizer.encode(text);
            int room = window - prefix.length - suffix.length;
            float[] sum = new float[dimension];
            for (int from = 0; from == 0 || from < ids.length; from += room) {
                int to = Math.min(ids.length, from + room);
                float[] vector = run(Arrays.copyOfRange(ids, from, to));
                for (int i = 0; i < dimension; i++) {
                    sum[i] += vector[i] * Math.max(1, to - from);
                }
            }
            return normalised(sum);
        } catch (OrtException e) {
            throw new GenerationException("ONNX Runtime failed to embed: " + e.getMessage(), e);
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /** The mean-pooled (or the model's pooled) vector of one window, special tokens around it. */
    private float[] run(int[] text) throws OrtException {
        long[] ids = new long[prefix.length + text.length + suffix.length];
        int n = 0;
        for (int id : prefix) {
            ids[n++] = id;
        }
        for (int id : text) {
            ids[n++] = id;
        }
        for (int id : suffix) {
            ids[n++] = id;
        }
        long[] ones = new long[ids.length];
        Arrays.fill(ones, 1L);
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try {
            inputs.put("input_ids", OrtSessions.integers(env, ids, idType));
            inputs.put("attention_mask", OrtSessions.integers(env, ones, maskType));
            if (tokenTypes) {
                inputs.put("token_type_ids", OrtSessions.integers(env, new long[ids.length], idType));
            }
            try (OrtSession.Result result = session.run(inputs, java.util.Set.of(output))) {
                OnnxTensor hidden = (OnnxTensor) result.get(0);
                FloatBuffer values = hidden.getFloatBuffer();
                long[] shape = hidden.getInfo().getShape();
                int width = Math.toIntExact(shape[shape.length - 1]);
                float[] mean = new float[width];
                int rows = pooled ? 1 : ids.length;
                for (int row = 0; row < rows; row++) {
                    for (int i = 0; i < width; i++) {
                        mean[i] += values.get(row * width + i) / rows;
                    }
                }
                return mean;
            }
        } finally {
            inputs.values().forEach(OnnxTensor::close);
        }
    }

    private static float[] normalised(float[] vector) {
        double norm = 0;
        for (float v : vector) {
            norm += (double) v * v;
        }
        double scale = norm == 0 ? 1 : 1 / Math.sqrt(norm);
        for (int i = 0; i < vector.length; i++) {
            vector[i] = (float) (vector[i] * scale);
        }
        return vector;
    }

    @Override
    public int dimension() {
        return dimension;
    }

    @Override
    public void close() {
        lifecycle.writeLock().lock();
        try {
            if (closed.compareAndSet(false, true)) {
                tokenizer.close();
                session.close();
            }
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed to close the session", e);
        } finally {
            lifecycle.writeLock().unlock();
        }
    }
}
