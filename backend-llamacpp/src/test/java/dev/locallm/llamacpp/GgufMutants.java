package dev.locallm.llamacpp;

import dev.locallm.llamacpp.gguf.GgufFile;
import dev.locallm.llamacpp.gguf.GgufValueType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Mutants of a real GGUF file: metadata values set to extremes where they lie (integers, string and array lengths,
 * value types), names and strings rewritten with control characters, random bytes changed in the header, the file
 * cut short, and NaN or infinite weights. Mutant {@code i} of seed {@code s} is always the same.
 */
final class GgufMutants {
    private static final long[] EXTREMES = {0, 1, 2, 3, 7, 255, 256, 65_535, 0x7FFF_FFFFL, 0x8000_0000L,
            0xFFFF_FFFFL, 0x1_0000_0000L, Long.MAX_VALUE, Long.MIN_VALUE, -1, -2};

    /** One mutant: its bytes and what was done. */
    record Mutant(byte[] bytes, String description) { }

    private final byte[] base;
    private final long seed;
    private final int headerEnd;
    private final List<Map.Entry<String, Long>> values = new ArrayList<>();
    private final GgufFile file;

    GgufMutants(Path path, byte[] base, long seed) {
        this.base = base;
        this.seed = seed;
        this.file = GgufFile.read(path);
        this.headerEnd = (int) file.dataOffset();
        for (String key : file.metadata().keySet()) {
            values.add(Map.entry(key, file.valueOffset(key).orElseThrow()));
        }
    }

    Mutant get(int index) {
        Random random = new Random(seed * 1_000_003L + index);
        byte[] b = base.clone();
        ByteBuffer buffer = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        Map.Entry<String, Long> value = values.get(random.nextInt(values.size()));
        String key = value.getKey();
        int at = value.getValue().intValue();
        GgufValueType type = file.valueType(key).orElseThrow();
        switch (random.nextInt(10)) {
            case 0, 1 -> {
                long extreme = EXTREMES[random.nextInt(EXTREMES.length)];
                if (type == GgufValueType.UINT32 || type == GgufValueType.INT32 || type == GgufValueType.FLOAT32) {
                    buffer.putInt(at, (int) extreme);
                } else if (type == GgufValueType.UINT64 || type == GgufValueType.INT64 || type == GgufValueType.FLOAT64
                        || type == GgufValueType.STRING || type == GgufValueType.ARRAY) {
                    buffer.putLong(type == GgufValueType.ARRAY ? at + 4 : at, extreme);
                } else {
                    b[at] = (byte) extreme;
                }
                return new Mutant(b, "value of " + key + " (" + type + ") = " + extreme);
            }
            case 2 -> {
                int keyLengthAt = at - 4 - 8 - key.getBytes(StandardCharsets.UTF_8).length;
                long length = EXTREMES[random.nextInt(EXTREMES.length)];
                buffer.putLong(keyLengthAt, length);
                return new Mutant(b, "length of key " + key + " = " + length);
            }
            case 3 -> {
                int code = random.nextBoolean() ? random.nextInt(16) : random.nextInt();
                buffer.putInt(at - 4, code);
                return new Mutant(b, "type of " + key + " = " + code);
            }
            case 4 -> {
                if (type == GgufValueType.STRING) {
                    long length = buffer.getLong(at);
                    for (int i = 0; i < Math.min(length, 24); i++) {
                        b[at + 8 + i] = (byte) (random.nextBoolean() ? 0x1B : random.nextInt(256));
                    }
                    return new Mutant(b, "bytes of string " + key);
                }
                int keyStart = at - 4 - key.getBytes(StandardCharsets.UTF_8).length;
                for (int i = 0; i < key.length(); i += 2) {
                    b[keyStart + i] = (byte) (random.nextBoolean() ? 0x1B : 0x0A);
                }
                return new Mutant(b, "control characters in key " + key);
            }
            case 5, 6 -> {
                int flips = 1 + random.nextInt(8);
                for (int i = 0; i < flips; i++) {
                    b[random.nextInt(headerEnd)] = (byte) random.nextInt(256);
                }
                return new Mutant(b, flips + " header bytes changed");
            }
            case 7 -> {
                int cut = random.nextBoolean() ? random.nextInt(headerEnd) : headerEnd + random.nextInt(b.length
                        - headerEnd);
                return new Mutant(Arrays.copyOf(b, cut), "cut at " + cut);
            }
            case 8 -> {
                float weird = new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 3e38f}
                        [random.nextInt(4)];
                int count = 1 + random.nextInt(64);
                for (int i = 0; i < count; i++) {
                    int pos = headerEnd + random.nextInt((b.length - headerEnd) / 4) * 4;
                    if (pos + 4 <= b.length) {
                        buffer.putFloat(pos, weird);
                    }
                }
                return new Mutant(b, count + " weights = " + weird);
            }
            default -> {
                int pos = 8 + random.nextInt(16);
                long count = EXTREMES[random.nextInt(EXTREMES.length)];
                buffer.putLong(pos, count);
                return new Mutant(b, (pos < 16 ? "tensor" : "metadata") + " count = " + count);
            }
        }
    }
}
