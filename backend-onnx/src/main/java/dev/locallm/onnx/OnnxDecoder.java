package dev.locallm.onnx;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxTensorLike;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.locallm.error.LocalLmException;
import dev.locallm.error.ModelLoadException;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One decoder ONNX file in an ONNX Runtime session, and how to run a step of it: token ids in (int64 or int32, as
 * the model declares), logits and the updated KV cache out (key and value apart, or stacked in one tensor a layer).
 * The cache stays in ONNX Runtime's memory: the {@code present*} tensors of a step's {@link OrtSession.Result} are
 * the next step's {@code past*} inputs as they are, and the caller closes a result once the step after it has run.
 *
 * <p>Thread-safe: ONNX Runtime sessions run concurrently. {@link #close()} frees the session once; the caller makes
 * sure no step runs then.
 */
final class OnnxDecoder implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OnnxDecoder.class);
    private final OrtEnvironment env;
    private final OrtSession session;
    private final ModelDirectory.DecoderIo io;
    private final List<Cache> caches;
    private final int layers;
    private final OnnxJavaType idType;
    private final OnnxJavaType maskType;
    private final OnnxJavaType positionType;
    private final boolean hasMask;
    private final boolean hasPositions;
    private final OnnxJavaType pastType;
    private final long[] emptyPastShape;
    private final int vocabulary;
    private final OnnxJavaType logitsType;
    private final Set<String> presentNames;
    /** 1, 1, 1... and 0, 1, 2... for every step's attention mask and positions, read where they are; never written. */
    private final Buffer ones;
    private final Buffer counting;
    /** Initializers the session took in place of the graph's own (extended RoPE tables); freed after it. */
    private final List<OnnxTensor> initializers;
    private final AtomicBoolean closed = new AtomicBoolean();

    private OnnxDecoder(OrtEnvironment env, OrtSession session, ModelDirectory model, List<OnnxTensor> initializers,
                        int positions) throws OrtException {
        this.env = env;
        this.session = session;
        this.initializers = initializers;
        this.io = model.io();
        Map<String, NodeInfo> inputs = session.getInputInfo();
        Map<String, NodeInfo> outputs = session.getOutputInfo();
        String file = model.decoder().getFileName().toString();
        if (!inputs.containsKey(io.inputIds()) || !outputs.containsKey(io.logits())) {
            throw new ModelLoadException(file + " is not a decoder this backend runs: it needs input '" + io.inputIds()
                    + "' and output '" + io.logits() + "'; its inputs are " + inputs.keySet() + " and outputs "
                    + outputs.keySet());
        }
        this.caches = caches(inputs, file);
        for (Cache cache : caches) {
            if (!outputs.containsKey(cache.present())) {
                throw new ModelLoadException(file + " has no output '" + cache.present() + "'; its outputs are "
                        + outputs.keySet());
            }
        }
        TensorInfo past = tensor(inputs, caches.get(0).past(), file);
        if (past.type != OnnxJavaType.FLOAT && past.type != OnnxJavaType.FLOAT16) {
            throw new ModelLoadException(file + ": KV cache of type " + past.type + " is not supported (float32 or "
                    + "float16)");
        }
        this.pastType = past.type;
        boolean stacked = !io.past().isEmpty() && caches.get(0).past().equals(io.past().formatted(0));
        this.emptyPastShape = emptyPastShape(past.getShape(), stacked, caches.get(0).past(), file);
        this.layers = stacked ? caches.size() : caches.size() / 2;
        OptionalInt declared = model.layers();
        if (declared.isPresent() && declared.getAsInt() != layers) {
            throw new ModelLoadException(file + " has KV-cache inputs for " + layers + " layers but the configuration "
                    + "of " + model.folder() + " declares " + declared.getAsInt());
        }
        this.idType = integerType(inputs, io.inputIds(), file);
        this.hasMask = !io.attentionMask().isEmpty() && inputs.containsKey(io.attentionMask());
        this.hasPositions = !io.positionIds().isEmpty() && inputs.containsKey(io.positionIds());
        this.maskType = hasMask ? integerType(inputs, io.attentionMask(), file) : OnnxJavaType.INT64;
        this.positionType = hasPositions ? integerType(inputs, io.positionIds(), file) : OnnxJavaType.INT64;
        long[] logitsShape = tensor(outputs, io.logits(), file).getShape();
        this.vocabulary = logitsShape.length == 3 && logitsShape[2] > 0 ? Math.toIntExact(logitsShape[2]) : -1;
        this.logitsType = tensor(outputs, io.logits(), file).type;
        this.presentNames = caches.stream().map(Cache::present).collect(java.util.stream.Collectors.toSet());
        this.ones = OrtSessions.directIntegers(hasMask ? positions : 0, i -> 1, maskType);
        this.counting = OrtSessions.directIntegers(hasPositions ? positions : 0, i -> i, positionType);
    }

    /** One KV-cache input of a step and the output of the step before that feeds it. */
    private record Cache(String past, String present) { }

    /**
     * The KV-cache inputs, layer by layer: key and value apart (Optimum's {@code past_key_values.N.key}), or stacked
     * in one tensor a layer ({@code past_N}) when the configuration names those and the graph has them.
     */
    private List<Cache> caches(Map<String, NodeInfo> inputs, String file) {
        List<Cache> found = new ArrayList<>();
        if (!io.past().isEmpty() && inputs.containsKey(io.past().formatted(0))) {
            if (io.present().isEmpty()) {
                throw new ModelLoadException(file + ": genai_config.json names the stacked KV-cache inputs "
                        + "(past_names) but not the outputs that feed them (present_names)");
            }
            for (int n = 0; inputs.containsKey(io.past().formatted(n)); n++) {
                found.add(new Cache(io.past().formatted(n), io.present().formatted(n)));
            }
            return found;
        }
        for (int n = 0; inputs.containsKey(io.pastKey().formatted(n)) && inputs.containsKey(io.pastValue()
                .formatted(n)); n++) {
            found.add(new Cache(io.pastKey().formatted(n), io.presentKey().formatted(n)));
            found.add(new Cache(io.pastValue().formatted(n), io.presentValue().formatted(n)));
        }
        if (found.isEmpty()) {
            throw new ModelLoadException(file + " has no KV-cache inputs named like '" + io.pastKey().formatted(0)
                    + "' and '" + io.pastValue().formatted(0) + "'" + (io.past().isEmpty() ? ""
                    : " or '" + io.past().formatted(0) + "'") + "; its inputs are " + inputs.keySet());
        }
        return found;
    }

    /**
     * The shape of an empty cache: {@code [batch, kv_heads, sequence, head_size]}, or the same after a leading
     * {@code 2} when key and value are stacked, with a batch of 1 and no sequence yet.
     */
    private static long[] emptyPastShape(long[] declared, boolean stacked, String name, String file) {
        boolean fits = stacked ? declared.length == 5 && declared[0] == 2 && declared[2] >= 1 && declared[4] >= 1
                : declared.length == 4 && declared[1] >= 1 && declared[3] >= 1;
        if (!fits) {
            throw new ModelLoadException(file + ": KV-cache input '" + name + "' has shape "
                    + java.util.Arrays.toString(declared) + "; expected " + (stacked
                    ? "[2, batch, kv_heads, past_sequence, head_size] for key and value stacked"
                    : "[batch, kv_heads, past_sequence, head_size]"));
        }
        long[] empty = declared.clone();
        empty[empty.length - 4] = 1;
        empty[empty.length - 2] = 0;
        return empty;
    }

    /**
     * Opens the decoder of a model folder for sequences of up to {@code positions} tokens. Beyond the positions the
     * model declares, RoPE tables baked into the graph are extended ({@link RopeTables}), as llama.cpp runs a model
     * past its training context, with a warning. A graph that takes {@code position_ids} then runs one token at the
     * last position, so that one that cannot reach it fails here; a graph that takes none (its positions come from
     * the mask, as with {@code GroupQueryAttention}) must have tables that cover the context.
     *
     * @throws ModelLoadException          when ONNX Runtime rejects the file, it is not a decoder, or it cannot be
     *                                     shown to run at {@code positions - 1}
     * @throws BackendUnavailableException when the device asked for is not available
     */
    static OnnxDecoder open(ModelDirectory model, OnnxOptions options, int positions) {
        boolean beyond = positions > model.contextLength();
        Optional<RopeTables> tables = beyond ? RopeTables.find(model.decoder()) : Optional.empty();
        List<RopeTables.Table> extended = tables.filter(t -> t.rows() < positions)
                .map(t -> extended(t, model, options, positions)).orElse(List.of());
        if (beyond) {
            LOG.warn("{}: a context of {} tokens, beyond the model's {}; what it writes past that may be worse{}",
                    model.folder(), positions, model.contextLength(), tables.map(t -> t.rows() < positions
                            ? " (its RoPE tables extended from " + t.rows() + " to " + positions + " rows)"
                            : "").orElse(""));
        }
        List<OnnxTensor> initializers = new ArrayList<>();
        OrtSession session = null;
        try {
            Map<String, OnnxTensor> byName = new HashMap<>();
            for (RopeTables.Table table : extended) {
                OnnxTensor tensor = OrtSessions.floats(OrtSessions.environment(), table.values(), table.shape(),
                        table.half());
                initializers.add(tensor);
                byName.put(table.name(), tensor);
            }
            session = OrtSessions.open(model.decoder(), options, byName);
            OnnxDecoder decoder = new OnnxDecoder(OrtSessions.environment(), session, model, initializers, positions);
            if (beyond) {
                decoder.checkReach(positions - 1, model, tables.isPresent());
            }
            return decoder;
        } catch (OrtException | RuntimeException e) {
            if (session != null) {
                OrtSessions.closeQuietly(session, e);
            }
            initializers.forEach(OnnxTensor::close);
            throw e instanceof LocalLmException known ? known
                    : new ModelLoadException("Cannot read the inputs of " + model.decoder() + ": " + e.getMessage(), e);
        }
    }

    private static List<RopeTables.Table> extended(RopeTables tables, ModelDirectory model, OnnxOptions options,
                                                   int positions) {
        if (options.device() != OnnxOptions.Device.CPU) {
            throw new ModelLoadException("A context of " + positions + " tokens needs longer RoPE tables than the "
                    + tables.rows() + " rows of " + model.decoder() + ", and LocaLLM extends them on device=cpu only "
                    + "(ONNX Runtime takes replacement initializers in CPU memory; not tried on a GPU): use a context of "
                    + "at most " + tables.rows() + " or device=cpu");
        }
        return tables.extendedTo(positions);
    }

    /**
     * Shows that the graph runs at {@code position}: one token there over an empty cache where the graph takes
     * {@code position_ids}; else RoPE tables that cover it must have been found.
     */
    private void checkReach(int position, ModelDirectory model, boolean tablesCover) {
        if (!hasPositions) {
            if (!tablesCover) {
                throw new ModelLoadException("A context of " + (position + 1) + " tokens is beyond the "
                        + model.contextLength() + " of " + model.folder() + ", and its graph takes no position_ids "
                        + "and has no RoPE tables LocaLLM knows, so nothing shows that it runs that far: use a "
                        + "context of at most " + model.contextLength());
            }
            return;
        }
        List<OnnxTensor> owned = new ArrayList<>();
        try {
            Map<String, OnnxTensorLike> inputs = new HashMap<>();
            inputs.put(io.inputIds(), own(owned, OrtSessions.integers(env, new long[] {0}, idType)));
            inputs.put(io.positionIds(), own(owned, OrtSessions.integers(env, new long[] {position}, positionType)));
            if (hasMask) {
                inputs.put(io.attentionMask(), own(owned, OrtSessions.integers(env, new long[] {1}, maskType)));
            }
            for (Cache cache : caches) {
                inputs.put(cache.past(), own(owned, emptyPast()));
            }
            session.run(inputs).close();
        } catch (OrtException e) {
            throw new ModelLoadException(model.decoder() + " cannot run at position " + position + ", which a context "
                    + "of " + (position + 1) + " tokens needs (the model's is " + model.contextLength()
                    + "); use a smaller context. ONNX Runtime: " + e.getMessage(), e);
        } finally {
            owned.forEach(OnnxTensor::close);
        }
    }

    private static TensorInfo tensor(Map<String, NodeInfo> infos, String name, String file) {
        if (infos.get(name).getInfo() instanceof TensorInfo t) {
            return t;
        }
        throw new ModelLoadException(file + ": '" + name + "' is not a tensor");
    }

    private static OnnxJavaType integerType(Map<String, NodeInfo> infos, String name, String file) {
        OnnxJavaType type = tensor(infos, name, file).type;
        if (type != OnnxJavaType.INT64 && type != OnnxJavaType.INT32) {
            throw new ModelLoadException(file + ": input '" + name + "' is " + type + "; expected int64 or int32");
        }
        return type;
    }

    /** Layers of KV cache. */
    int layers() {
        return layers;
    }

    /** The logits' vocabulary size, or -1 when the model leaves it dynamic. */
    int vocabulary() {
        return vocabulary;
    }

    /**
     * Runs one step: {@code tokens} at positions {@code pastLength...}, over the cache of {@code past} (the result of
     * the step before, or {@code null} for the first). The caller closes {@code past} after this returns, and the
     * returned result once it has run the next step or is done.
     */
    OrtSession.Result step(int[] tokens, int pastLength, OrtSession.Result past, OrtSession.RunOptions runOptions)
            throws OrtException {
        return step(tokens, pastLength, past, runOptions, new LongAdder());
    }

    /**
     * {@link #step(int[], int, OrtSession.Result, OrtSession.RunOptions)}, adding ONNX Runtime's run time to
     * {@code runNanos}.
     */
    OrtSession.Result step(int[] tokens, int pastLength, OrtSession.Result past, OrtSession.RunOptions runOptions,
                           LongAdder runNanos) throws OrtException {
        return step(tokens, pastLength, past, runOptions, runNanos, null);
    }

    /**
     * {@link #step(int[], int, OrtSession.Result, OrtSession.RunOptions, LongAdder)}, through {@code buffers} for a
     * one-token step when it is not {@code null}: ONNX Runtime then writes the logits there (the result holds that
     * same tensor, not closed with the result).
     */
    OrtSession.Result step(int[] tokens, int pastLength, OrtSession.Result past, OrtSession.RunOptions runOptions,
                           LongAdder runNanos, DecodeBuffers buffers) throws OrtException {
        Map<String, OnnxTensorLike> inputs = new HashMap<>();
        List<OnnxTensor> owned = new ArrayList<>();
        boolean buffered = buffers != null && tokens.length == 1;
        try {
            if (buffered) {
                inputs.put(io.inputIds(), buffers.id(tokens[0]));
            } else {
                long[] ids = new long[tokens.length];
                for (int i = 0; i < tokens.length; i++) {
                    ids[i] = tokens[i];
                }
                inputs.put(io.inputIds(), own(owned, OrtSessions.integers(env, ids, idType)));
            }
            int length = pastLength + tokens.length;
            if (hasMask) {
                inputs.put(io.attentionMask(), own(owned, length <= ones.capacity()
                        ? OrtSessions.integers(env, ones, 0, length)
                        : OrtSessions.integers(env, filled(length, i -> 1), maskType)));
            }
            if (hasPositions) {
                inputs.put(io.positionIds(), own(owned, length <= counting.capacity()
                        ? OrtSessions.integers(env, counting, pastLength, tokens.length)
                        : OrtSessions.integers(env, filled(tokens.length, i -> pastLength + i), positionType)));
            }
            for (Cache cache : caches) {
                inputs.put(cache.past(), past == null ? own(owned, emptyPast()) : present(past, cache.present()));
            }
            long start = System.nanoTime();
            try {
                return buffered ? session.run(inputs, presentNames, Map.of(io.logits(), buffers.logitsTensor), runOptions)
                        : session.run(inputs, runOptions);
            } finally {
                runNanos.add(System.nanoTime() - start);
            }
        } finally {
            owned.forEach(OnnxTensor::close);
        }
    }

    private static long[] filled(int n, java.util.function.IntToLongFunction value) {
        long[] values = new long[n];
        for (int i = 0; i < n; i++) {
            values[i] = value.applyAsLong(i);
        }
        return values;
    }

    /**
     * Buffers for the one-token steps of a generation: the token's id, and the logits ONNX Runtime writes into instead
     * of a tensor of its own; {@code null} when the model's logits are not float32 of a fixed vocabulary.
     */
    DecodeBuffers decodeBuffers() throws OrtException {
        if (logitsType != OnnxJavaType.FLOAT || vocabulary <= 0) {
            return null;
        }
        FloatBuffer floats = ByteBuffer.allocateDirect(vocabulary * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
        Buffer id = OrtSessions.directIntegers(1, i -> 0, idType);
        OnnxTensor logits = OnnxTensor.createTensor(env, floats, new long[] {1, 1, vocabulary});
        try {
            return new DecodeBuffers(OrtSessions.integers(env, id, 0, 1), id, logits, floats);
        } catch (OrtException | RuntimeException e) {
            logits.close();
            throw e;
        }
    }

    /**
     * The id and logits of one-token steps, where ONNX Runtime reads and writes them; one per generation, closed with
     * it. Not thread-safe.
     */
    static final class DecodeBuffers implements AutoCloseable {
        private final OnnxTensor idTensor;
        private final Buffer id;
        private final OnnxTensor logitsTensor;
        private final FloatBuffer logits;
        private final float[] copy;

        private DecodeBuffers(OnnxTensor idTensor, Buffer id, OnnxTensor logitsTensor, FloatBuffer logits) {
            this.idTensor = idTensor;
            this.id = id;
            this.logitsTensor = logitsTensor;
            this.logits = logits;
            this.copy = new float[logits.capacity()];
        }

        private OnnxTensor id(int token) {
            if (id instanceof java.nio.LongBuffer longs) {
                longs.put(0, token);
            } else {
                ((java.nio.IntBuffer) id).put(0, token);
            }
            return idTensor;
        }

        /** The logits of the last one-token step, copied into an array that the next call overwrites. */
        float[] logits() {
            logits.get(0, copy);
            return copy;
        }

        @Override
        public void close() {
            idTensor.close();
            logitsTensor.close();
        }
    }

    /** The logits of the last position of a step's result, as floats (float16 logits are widened). */
    float[] lastLogits(OrtSession.Result result) {
        OnnxTensor logits = (OnnxTensor) result.get(io.logits()).orElseThrow();
        long[] shape = logits.getInfo().getShape();
        int vocab = Math.toIntExact(shape[shape.length - 1]);
        FloatBuffer all = logits.getFloatBuffer();
        float[] last = new float[vocab];
        all.position(all.limit() - vocab);
        all.get(last);
        return last;
    }

    private static OnnxTensor present(OrtSession.Result past, String name) {
        OnnxValue value = past.get(name).orElseThrow(() -> new IllegalStateException("no output " + name));
        return (OnnxTensor) value;
    }

    private static OnnxTensor own(List<OnnxTensor> owned, OnnxTensor tensor) {
        owned.add(tensor);
        return tensor;
    }

    private OnnxTensor emptyPast() throws OrtException {
        if (pastType == OnnxJavaType.FLOAT) {
            return OnnxTensor.createTensor(env, FloatBuffer.allocate(0), emptyPastShape);
        }
        return OnnxTensor.createTensor(env, ByteBuffer.allocateDirect(0).order(ByteOrder.nativeOrder()), emptyPastShape,
                OnnxJavaType.FLOAT16);
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            try {
                session.close();
            } catch (OrtException e) {
                throw new IllegalStateException("ONNX Runtime failed to close the session", e);
            } finally {
                initializers.forEach(OnnxTensor::close);
            }
        }
    }
}
