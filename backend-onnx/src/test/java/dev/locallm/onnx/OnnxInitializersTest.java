package dev.locallm.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.platform.Fp16Conversions;
import com.google.protobuf.CodedOutputStream;
import dev.locallm.error.ModelLoadException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Float initializers read out of ONNX files written here field by field, in each of the ways ONNX stores them. */
class OnnxInitializersTest {
    private static final float[] VALUES = {1f, -0.5f, 0.25f, 3f, 0f, -2f};
    private static final long[] DIMS = {2, 3};

    @TempDir
    Path dir;

    @Test
    void everyWayOfStoringFloatsReadsBackTheSameValues() throws IOException {
        // given one initializer each: raw float32, raw float16, packed float_data, unpacked float_data, int32_data
        // holding float16 bits, and float32 in an external data file at an offset
        byte[] raw32 = littleEndian(VALUES, false);
        byte[] raw16 = littleEndian(VALUES, true);
        Files.write(dir.resolve("weights.data"), concat(new byte[] {9, 9, 9, 9}, raw32));
        byte[] graph = concat(
                field(5, tensor("raw32", 1, t -> t.writeByteArray(9, raw32))),
                field(5, tensor("raw16", 10, t -> t.writeByteArray(9, raw16))),
                field(5, tensor("packed", 1, t -> t.writeByteArray(4, littleEndian(VALUES, false)))),
                field(5, tensor("unpacked", 1, t -> {
                    for (float v : VALUES) {
                        t.writeFloat(4, v);
                    }
                })),
                field(5, tensor("int32_half", 10, t -> {
                    for (float v : VALUES) {
                        t.writeInt32(5, Fp16Conversions.floatToFp16(v) & 0xFFFF);
                    }
                })),
                field(5, tensor("external", 1, t -> {
                    t.writeByteArray(13, entry("location", "weights.data"));
                    t.writeByteArray(13, entry("offset", "4"));
                    t.writeByteArray(13, entry("length", Integer.toString(raw32.length)));
                    t.writeInt32(14, 1);
                })),
                field(5, tensor("int64s", 7, t -> t.writeByteArray(9, new byte[48]))));
        Path model = Files.write(dir.resolve("model.onnx"), concat(message(m -> m.writeInt64(1, 8)), field(7, graph)));
        Set<String> names = Set.of("raw32", "raw16", "packed", "unpacked", "int32_half", "external", "int64s");
        // when
        Map<String, OnnxInitializers.FloatTensor> read = OnnxInitializers.read(model, names);
        // then: every float one, the int64 one left out
        assertThat(read).containsOnlyKeys("raw32", "raw16", "packed", "unpacked", "int32_half", "external");
        read.forEach((name, tensor) -> {
            assertThat(tensor.dims()).as(name).containsExactly(DIMS);
            assertThat(tensor.values()).as(name).containsExactly(VALUES);
            assertThat(tensor.half()).as(name).isEqualTo(name.contains("16") || name.contains("half"));
        });
        // and through a path with '..' in it
        Path roundabout = dir.resolve("sub").resolve("..").resolve("model.onnx");
        Files.createDirectories(dir.resolve("sub"));
        assertThat(OnnxInitializers.read(roundabout, Set.of("external"))).containsKey("external");
    }

    @Test
    void externalDataOutsideTheModelsFolderIsRefused() throws IOException {
        byte[] graph = field(5, tensor("escape", 1, t -> {
            t.writeByteArray(13, entry("location", "../elsewhere.data"));
            t.writeInt32(14, 1);
        }));
        Path model = Files.write(dir.resolve("model.onnx"), field(7, graph));

        assertThatThrownBy(() -> OnnxInitializers.read(model, Set.of("escape"))).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("not a file beside the model");
    }

    private interface Fields {
        void write(CodedOutputStream out) throws IOException;
    }

    private static byte[] tensor(String name, int type, Fields data) throws IOException {
        return message(t -> {
            for (long d : DIMS) {
                t.writeInt64(1, d);
            }
            t.writeInt32(2, type);
            t.writeString(8, name);
            data.write(t);
        });
    }

    private static byte[] entry(String key, String value) throws IOException {
        return message(e -> {
            e.writeString(1, key);
            e.writeString(2, value);
        });
    }

    private static byte[] field(int number, byte[] message) throws IOException {
        return message(out -> out.writeByteArray(number, message));
    }

    private static byte[] message(Fields fields) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        fields.write(out);
        out.flush();
        return bytes.toByteArray();
    }

    private static byte[] littleEndian(float[] values, boolean half) {
        ByteBuffer b = ByteBuffer.allocate(values.length * (half ? 2 : 4)).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            if (half) {
                b.putShort(Fp16Conversions.floatToFp16(v));
            } else {
                b.putFloat(v);
            }
        }
        return b.array();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
