package dev.locallm.onnx;

import ai.onnxruntime.platform.Fp16Conversions;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import dev.locallm.error.ModelLoadException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads named float initializers (float32 or float16, widened) out of an ONNX file, with protobuf's wire format:
 * {@code ModelProto.graph.initializer}, their data inline ({@code raw_data}, {@code float_data}) or in an external
 * data file beside the model. ONNX Runtime's Java API does not expose a graph's initializers. The file is mapped
 * and only the tensors asked for are copied (where protobuf cannot read a mapped buffer in place, it copies the file
 * to the heap first); a file past 2 GiB, beyond protobuf's limit, has none. Stateless.
 */
final class OnnxInitializers {
    private static final int MODEL_GRAPH = 7;
    private static final int GRAPH_INITIALIZER = 5;
    private static final int TENSOR_DIMS = 1;
    private static final int TENSOR_DATA_TYPE = 2;
    private static final int TENSOR_FLOAT_DATA = 4;
    private static final int TENSOR_INT32_DATA = 5;
    private static final int TENSOR_NAME = 8;
    private static final int TENSOR_RAW_DATA = 9;
    private static final int TENSOR_EXTERNAL_DATA = 13;
    private static final int TENSOR_DATA_LOCATION = 14;
    private static final int TYPE_FLOAT = 1;
    private static final int TYPE_FLOAT16 = 10;
    private static final int LOCATION_EXTERNAL = 1;

    private OnnxInitializers() {
    }

    /** A float initializer: its dimensions, its values in row-major order, and whether it is float16. */
    record FloatTensor(long[] dims, float[] values, boolean half) {
    }

    /**
     * The initializers of {@code file} whose names are in {@code names} and whose type is float32 or float16; the
     * others are left out.
     *
     * @throws ModelLoadException when the file cannot be read or is not an ONNX model
     */
    static Map<String, FloatTensor> read(Path file, Set<String> names) {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            if (channel.size() > Integer.MAX_VALUE) {
                return Map.of();
            }
            ByteBuffer bytes = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size());
            CodedInputStream in = CodedInputStream.newInstance(bytes);
            Map<String, FloatTensor> found = new HashMap<>();
            while (!in.isAtEnd()) {
                int tag = in.readTag();
                if (WireFormat.getTagFieldNumber(tag) == MODEL_GRAPH) {
                    int limit = in.pushLimit(in.readRawVarint32());
                    readGraph(in, bytes, file, names, found);
                    in.popLimit(limit);
                } else {
                    in.skipField(tag);
                }
            }
            return found;
        } catch (IOException | RuntimeException e) {
            throw new ModelLoadException("Cannot read the initializers of " + file + " as an ONNX model: "
                    + e.getMessage(), e);
        }
    }

    private static void readGraph(CodedInputStream in, ByteBuffer bytes, Path file, Set<String> names,
                                  Map<String, FloatTensor> found) throws IOException {
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            if (WireFormat.getTagFieldNumber(tag) == GRAPH_INITIALIZER) {
                int limit = in.pushLimit(in.readRawVarint32());
                Tensor tensor = readTensor(in);
                in.popLimit(limit);
                if (names.contains(tensor.name) && (tensor.type == TYPE_FLOAT || tensor.type == TYPE_FLOAT16)) {
                    found.put(tensor.name, tensor.values(bytes, file));
                }
            } else {
                in.skipField(tag);
            }
        }
    }

    private static Tensor readTensor(CodedInputStream in) throws IOException {
        Tensor t = new Tensor();
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            int wireType = WireFormat.getTagWireType(tag);
            switch (WireFormat.getTagFieldNumber(tag)) {
                case TENSOR_DIMS -> {
                    if (wireType == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                        int limit = in.pushLimit(in.readRawVarint32());
                        while (!in.isAtEnd()) {
                            t.dims.add(in.readInt64());
                        }
                        in.popLimit(limit);
                    } else {
                        t.dims.add(in.readInt64());
                    }
                }
                case TENSOR_DATA_TYPE -> t.type = in.readInt32();
                case TENSOR_NAME -> t.name = in.readString();
                case TENSOR_RAW_DATA, TENSOR_FLOAT_DATA, TENSOR_INT32_DATA -> {
                    if (wireType != WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                        t.unpacked.add(wireType == WireFormat.WIRETYPE_FIXED32 ? in.readFloat() : in.readInt32());
                        continue;
                    }
                    if (t.dataField != 0) {
                        throw new IOException("initializer '" + t.name + "' has its data in more than one field");
                    }
                    t.dataField = WireFormat.getTagFieldNumber(tag);
                    t.dataLength = in.readRawVarint32();
                    t.dataOffset = in.getTotalBytesRead();
                    in.skipRawBytes(t.dataLength);
                }
                case TENSOR_EXTERNAL_DATA -> {
                    int limit = in.pushLimit(in.readRawVarint32());
                    String key = "";
                    String value = "";
                    while (!in.isAtEnd()) {
                        int entryTag = in.readTag();
                        switch (WireFormat.getTagFieldNumber(entryTag)) {
                            case 1 -> key = in.readString();
                            case 2 -> value = in.readString();
                            default -> in.skipField(entryTag);
                        }
                    }
                    in.popLimit(limit);
                    t.external.put(key, value);
                }
                case TENSOR_DATA_LOCATION -> t.externalData = in.readInt32() == LOCATION_EXTERNAL;
                default -> in.skipField(tag);
            }
        }
        return t;
    }

    /** A {@code TensorProto} as read: where its data lies, not yet its data. */
    private static final class Tensor {
        String name = "";
        int type;
        final List<Long> dims = new ArrayList<>();
        final List<Number> unpacked = new ArrayList<>();
        final Map<String, String> external = new HashMap<>();
        boolean externalData;
        int dataField;
        int dataOffset;
        int dataLength;

        FloatTensor values(ByteBuffer model, Path file) throws IOException {
            long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
            long count = 1;
            for (long d : shape) {
                count = Math.multiplyExact(count, d);
            }
            if (count > Integer.MAX_VALUE / 4) {
                throw new IOException("initializer '" + name + "' holds " + count + " values");
            }
            int n = (int) count;
            float[] values = new float[n];
            if (externalData) {
                ByteBuffer data = readExternal(file, n * (type == TYPE_FLOAT ? 4 : 2));
                fill(values, data);
            } else if (dataField == TENSOR_RAW_DATA) {
                fill(values, model.duplicate().position(dataOffset).limit(dataOffset + dataLength).slice());
            } else if (dataField != 0) {
                CodedInputStream packed = CodedInputStream.newInstance(model.duplicate().position(dataOffset)
                        .limit(dataOffset + dataLength).slice());
                for (int i = 0; i < n; i++) {
                    values[i] = type == TYPE_FLOAT ? packed.readFloat()
                            : Fp16Conversions.fp16ToFloat((short) packed.readInt32());
                }
            } else {
                if (unpacked.size() != n) {
                    throw new IOException("initializer '" + name + "' has " + unpacked.size() + " values for shape "
                            + dims);
                }
                for (int i = 0; i < n; i++) {
                    Number v = unpacked.get(i);
                    values[i] = type == TYPE_FLOAT ? v.floatValue() : Fp16Conversions.fp16ToFloat(v.shortValue());
                }
            }
            return new FloatTensor(shape, values, type == TYPE_FLOAT16);
        }

        private void fill(float[] values, ByteBuffer data) throws IOException {
            int width = type == TYPE_FLOAT ? 4 : 2;
            if (data.remaining() != values.length * width) {
                throw new IOException("initializer '" + name + "' has " + data.remaining() + " bytes for shape "
                        + dims);
            }
            ByteBuffer le = data.order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < values.length; i++) {
                values[i] = type == TYPE_FLOAT ? le.getFloat(i * 4) : Fp16Conversions.fp16ToFloat(le.getShort(i * 2));
            }
        }

        private ByteBuffer readExternal(Path file, int length) throws IOException {
            String location = external.getOrDefault("location", "");
            Path folder = file.toAbsolutePath().normalize().getParent();
            Path data = folder.resolve(location).normalize();
            if (location.isEmpty() || !data.startsWith(folder) || !Files.isRegularFile(data)) {
                throw new IOException("initializer '" + name + "' names external data '" + location
                        + "', which is not a file beside the model");
            }
            long offset = Long.parseLong(external.getOrDefault("offset", "0"));
            try (FileChannel channel = FileChannel.open(data, StandardOpenOption.READ)) {
                if (offset < 0 || offset + length > channel.size()) {
                    throw new IOException("initializer '" + name + "' lies past the end of " + data);
                }
                ByteBuffer out = ByteBuffer.allocate(length);
                while (out.hasRemaining()) {
                    if (channel.read(out, offset + out.position()) < 0) {
                        throw new IOException("end of " + data);
                    }
                }
                return out.flip();
            }
        }
    }
}
