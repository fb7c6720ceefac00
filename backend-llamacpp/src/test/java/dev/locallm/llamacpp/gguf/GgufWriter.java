package dev.locallm.llamacpp.gguf;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Writes GGUF version 3 files: metadata and tensors whose data a {@link TensorData} produces. Used to make
 * test fixtures and benchmark models of a real model's shape; it does not convert models. Not thread-safe.
 *
 * <pre>{@code
 * new GgufWriter()
 *         .string("general.architecture", "llama")
 *         .uint32("llama.context_length", 2048)
 *         .tensor("token_embd.weight", GgmlType.F32, new long[] {64, 512}, TensorData.zeros())
 *         .write(Path.of("tiny.gguf"));
 * }</pre>
 */
public final class GgufWriter {

    /** Produces the bytes of one tensor. */
    @FunctionalInterface
    public interface TensorData {
        /** Writes exactly {@code tensor.byteSize()} bytes. */
        void write(GgufTensor tensor, OutputStream out) throws IOException;

        /** All-zero data. */
        static TensorData zeros() {
            return (tensor, out) -> {
                byte[] zeros = new byte[1 << 16];
                for (long left = tensor.byteSize(); left > 0; left -= zeros.length) {
                    out.write(zeros, 0, (int) Math.min(left, zeros.length));
                }
            };
        }
    }

    private record Entry(GgufValueType type, Object value) { }

    private record PendingTensor(GgufTensor tensor, TensorData data) { }

    private final Map<String, Entry> metadata = new LinkedHashMap<>();
    private final List<PendingTensor> tensors = new ArrayList<>();
    private long nextOffset;

    public GgufWriter string(String key, String value) {
        return put(key, GgufValueType.STRING, Objects.requireNonNull(value));
    }

    public GgufWriter uint32(String key, long value) {
        return put(key, GgufValueType.UINT32, value);
    }

    public GgufWriter int32(String key, long value) {
        return put(key, GgufValueType.INT32, value);
    }

    public GgufWriter float32(String key, double value) {
        return put(key, GgufValueType.FLOAT32, value);
    }

    public GgufWriter bool(String key, boolean value) {
        return put(key, GgufValueType.BOOL, value);
    }

    /** An array; {@code elementType} says how each element (a String, Number or Boolean) is stored. */
    public GgufWriter array(String key, GgufValueType elementType, List<?> values) {
        return put(key, GgufValueType.ARRAY, new Entry(elementType, List.copyOf(values)));
    }

    private GgufWriter put(String key, GgufValueType type, Object value) {
        metadata.put(Objects.requireNonNull(key), new Entry(type, value));
        return this;
    }

    /** Adds a tensor; its data is placed after the previous one, aligned to 32 bytes. */
    public GgufWriter tensor(String name, GgmlType type, long[] dimensions, TensorData data) {
        GgufTensor tensor = new GgufTensor(name, dimensions, type, nextOffset);
        tensors.add(new PendingTensor(tensor, data));
        nextOffset = align(nextOffset + tensor.byteSize());
        return this;
    }

    /** Writes the file. */
    public void write(Path path) {
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(path), 1 << 20)) {
            CountingOutput o = new CountingOutput(out);
            o.u32(GgufReader.MAGIC);
            o.u32(3);
            o.u64(tensors.size());
            o.u64(metadata.size());
            for (Map.Entry<String, Entry> e : metadata.entrySet()) {
                o.string(e.getKey());
                o.u32(e.getValue().type().code());
                o.value(e.getValue().type(), e.getValue().value());
            }
            for (PendingTensor p : tensors) {
                GgufTensor t = p.tensor();
                o.string(t.name());
                long[] dims = t.dimensions();
                o.u32(dims.length);
                for (long d : dims) {
                    o.u64(d);
                }
                o.u32(t.type().code());
                o.u64(t.offset());
            }
            o.pad();
            long dataStart = o.count;
            for (PendingTensor p : tensors) {
                while (o.count - dataStart < p.tensor().offset()) {
                    o.out.write(0);
                    o.count++;
                }
                long before = o.count;
                p.data().write(p.tensor(), o);
                if (o.count - before != p.tensor().byteSize()) {
                    throw new IllegalStateException("tensor " + p.tensor().name() + " wrote " + (o.count - before)
                            + " bytes, expected " + p.tensor().byteSize());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long align(long offset) {
        return (offset + GgufReader.DEFAULT_ALIGNMENT - 1) / GgufReader.DEFAULT_ALIGNMENT * GgufReader.DEFAULT_ALIGNMENT;
    }

    /** Little-endian output that counts bytes. */
    private static final class CountingOutput extends OutputStream {
        private final OutputStream out;
        private final ByteBuffer scratch = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        private long count;

        CountingOutput(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }

        void u32(long v) throws IOException {
            scratch.clear();
            scratch.putInt((int) v);
            write(scratch.array(), 0, 4);
        }

        void u64(long v) throws IOException {
            scratch.clear();
            scratch.putLong(v);
            write(scratch.array(), 0, 8);
        }

        void string(String s) throws IOException {
            byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
            u64(bytes.length);
            write(bytes, 0, bytes.length);
        }

        void value(GgufValueType type, Object v) throws IOException {
            switch (type) {
                case UINT8, INT8 -> write(((Number) v).intValue());
                case UINT16, INT16 -> {
                    scratch.clear();
                    scratch.putShort(((Number) v).shortValue());
                    write(scratch.array(), 0, 2);
                }
                case UINT32, INT32 -> u32(((Number) v).longValue());
                case UINT64, INT64 -> u64(((Number) v).longValue());
                case FLOAT32 -> u32(Float.floatToIntBits(((Number) v).floatValue()));
                case FLOAT64 -> u64(Double.doubleToLongBits(((Number) v).doubleValue()));
                case BOOL -> write(((Boolean) v) ? 1 : 0);
                case STRING -> string((String) v);
                case ARRAY -> {
                    Entry array = (Entry) v;
                    List<?> values = (List<?>) array.value();
                    u32(array.type().code());
                    u64(values.size());
                    for (Object element : values) {
                        value(array.type(), element);
                    }
                }
            }
        }

        void pad() throws IOException {
            while (count % GgufReader.DEFAULT_ALIGNMENT != 0) {
                write(0);
            }
        }
    }
}
