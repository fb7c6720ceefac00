package dev.locallm.onnx;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import dev.locallm.error.BackendUnavailableException;
import dev.locallm.error.ModelLoadException;
import ai.onnxruntime.platform.Fp16Conversions;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.IntToLongFunction;

/**
 * ONNX Runtime sessions opened with LocaLLM's options (threads, device), and their integer inputs, for decoders and
 * encoders alike.
 */
final class OrtSessions {
    private OrtSessions() {
    }

    /**
     * A session over {@code file}.
     *
     * @throws ModelLoadException          when ONNX Runtime rejects the file
     * @throws BackendUnavailableException when ONNX Runtime or the device asked for is not available
     */
    static OrtSession open(Path file, OnnxOptions options) {
        return open(file, options, Map.of());
    }

    /**
     * A session over {@code file} whose graph takes {@code initializers} in place of its own of the same names; they
     * must stay open as long as the session.
     *
     * @throws ModelLoadException          when ONNX Runtime rejects the file
     * @throws BackendUnavailableException when ONNX Runtime or the device asked for is not available
     */
    static OrtSession open(Path file, OnnxOptions options, Map<String, OnnxTensor> initializers) {
        OrtEnvironment env = environment();
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setIntraOpNumThreads(options.threads());
            so.setInterOpNumThreads(1);
            if (options.device() == OnnxOptions.Device.CUDA) {
                addCuda(so, options.deviceId());
            }
            for (Map.Entry<String, OnnxTensor> initializer : initializers.entrySet()) {
                so.addInitializer(initializer.getKey(), initializer.getValue());
            }
            return env.createSession(file.toString(), so);
        } catch (OrtException e) {
            throw new ModelLoadException("ONNX Runtime cannot load " + file + ": " + e.getMessage(), e);
        }
    }

    /** The process's ONNX Runtime environment, or a {@link BackendUnavailableException} saying why there is none. */
    static OrtEnvironment environment() {
        try {
            return OrtEnvironment.getEnvironment();
        } catch (UnsatisfiedLinkError | NoClassDefFoundError | ExceptionInInitializerError e) {
            throw new BackendUnavailableException("The native library of com.microsoft.onnxruntime:onnxruntime cannot "
                    + "be loaded on " + System.getProperty("os.name") + " " + System.getProperty("os.arch") + ": "
                    + e.getMessage(), e);
        }
    }

    /** Closes a session whose setup failed, keeping a close failure as suppressed by {@code failure}. */
    static void closeQuietly(OrtSession session, Exception failure) {
        try {
            session.close();
        } catch (OrtException e) {
            failure.addSuppressed(e);
        }
    }

    /** A {@code [1, n]} tensor of {@code values} as the integer type an input declares (int64, or int32). */
    static OnnxTensor integers(OrtEnvironment env, long[] values, OnnxJavaType type) throws OrtException {
        long[] shape = {1, values.length};
        if (type == OnnxJavaType.INT64) {
            return OnnxTensor.createTensor(env, LongBuffer.wrap(values), shape);
        }
        int[] ints = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            ints[i] = Math.toIntExact(values[i]);
        }
        return OnnxTensor.createTensor(env, IntBuffer.wrap(ints), shape);
    }

    /**
     * A direct buffer of {@code n} integers, {@code value(i)} at {@code i}, as the integer type an input declares
     * (int64, or int32), for {@link #integers(OrtEnvironment, Buffer, int, int)}.
     */
    static Buffer directIntegers(int n, IntToLongFunction value, OnnxJavaType type) {
        ByteBuffer bytes = ByteBuffer.allocateDirect(n * (type == OnnxJavaType.INT64 ? 8 : 4))
                .order(ByteOrder.nativeOrder());
        if (type == OnnxJavaType.INT64) {
            LongBuffer longs = bytes.asLongBuffer();
            for (int i = 0; i < n; i++) {
                longs.put(i, value.applyAsLong(i));
            }
            return longs;
        }
        IntBuffer ints = bytes.asIntBuffer();
        for (int i = 0; i < n; i++) {
            ints.put(i, Math.toIntExact(value.applyAsLong(i)));
        }
        return ints;
    }

    /**
     * A {@code [1, length]} tensor over {@code length} integers from {@code from} of a buffer of
     * {@link #directIntegers}; ONNX Runtime reads them where they are, so the buffer must not change while it runs.
     */
    static OnnxTensor integers(OrtEnvironment env, Buffer direct, int from, int length) throws OrtException {
        long[] shape = {1, length};
        if (direct instanceof LongBuffer longs) {
            return OnnxTensor.createTensor(env, longs.slice(from, length), shape);
        }
        return OnnxTensor.createTensor(env, ((IntBuffer) direct).slice(from, length), shape);
    }

    /** A tensor of {@code values} in {@code shape}, as float32, or as float16 when {@code half}. */
    static OnnxTensor floats(OrtEnvironment env, float[] values, long[] shape, boolean half) throws OrtException {
        if (!half) {
            return OnnxTensor.createTensor(env, FloatBuffer.wrap(values), shape);
        }
        ByteBuffer bytes = ByteBuffer.allocateDirect(values.length * 2).order(ByteOrder.nativeOrder());
        for (float v : values) {
            bytes.putShort(Fp16Conversions.floatToFp16(v));
        }
        return OnnxTensor.createTensor(env, bytes.flip(), shape, OnnxJavaType.FLOAT16);
    }

    private static void addCuda(OrtSession.SessionOptions so, int deviceId) {
        if (!OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA)) {
            throw new BackendUnavailableException("device=cuda needs the CUDA build of ONNX Runtime, and this one has "
                    + "only " + OrtEnvironment.getAvailableProviders() + ": replace the dependency "
                    + "com.microsoft.onnxruntime:onnxruntime with com.microsoft.onnxruntime:onnxruntime_gpu (same "
                    + "version), or load the model with device=cpu");
        }
        try {
            so.addCUDA(deviceId);
        } catch (OrtException e) {
            throw new BackendUnavailableException("ONNX Runtime's CUDA execution provider did not start on device "
                    + deviceId + " (is there a GPU, with the CUDA and cuDNN versions this ONNX Runtime build needs?): "
                    + e.getMessage(), e);
        }
    }
}
