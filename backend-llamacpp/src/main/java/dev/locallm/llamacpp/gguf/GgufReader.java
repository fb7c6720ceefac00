package dev.locallm.llamacpp.gguf;

import dev.locallm.error.ModelLoadException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads and validates the header, metadata and tensor infos of a GGUF file, never its tensor data. Every
 * count, length and offset is checked against the file size before anything is allocated, so a truncated or
 * crafted file fails with a {@link ModelLoadException} naming the field and its byte offset. Not thread-safe;
 * one instance per read.
 */
final class GgufReader {
    static final int MAGIC = 0x46554747;
    static final long MAX_TENSORS = 1 << 20;
    static final long MAX_METADATA = 1 << 20;
    static final long MAX_STRING = 256L << 20;
    static final int MAX_DIMS = 4;
    static final int MAX_ARRAY_NESTING = 4;
    static final int DEFAULT_ALIGNMENT = 32;

    private final Path path;
    private final FileChannel channel;
    private final long size;
    private final ByteBuffer buffer = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
    private long pos;

    private GgufReader(Path path, FileChannel channel) throws IOException {
        this.path = path;
        this.channel = channel;
        this.size = channel.size();
        buffer.limit(0);
    }

    static GgufFile read(Path path) {
        try (FileChannel channel = FileChannel.open(path)) {
            return new GgufReader(path, channel).readFile();
        } catch (IOException e) {
            throw new ModelLoadException("Cannot read GGUF file " + path + ": " + e.getMessage(), e);
        }
    }

    private GgufFile readFile() throws IOException {
        long magic = u32("magic");
        if (magic != MAGIC) {
            throw error("magic", 0, String.format("not a GGUF file: magic is 0x%08x, expected 0x%08x ('GGUF')",
                    magic, MAGIC));
        }
        long versionAt = pos;
        long version = u32("version");
        if (version == 1) {
            throw error("version", versionAt, "GGUF version 1 is not supported; convert the model again");
        }
        if (version != 2 && version != 3) {
            throw error("version", versionAt, "unsupported GGUF version " + version
                    + (version > 0xFFFF ? " (a big-endian file?)" : ""));
        }
        long tensorCountAt = pos;
        long tensorCount = u64("tensor_count");
        if (tensorCount < 0 || tensorCount > MAX_TENSORS) {
            throw error("tensor_count", tensorCountAt, "absurd tensor count " + Long.toUnsignedString(tensorCount));
        }
        long kvCountAt = pos;
        long kvCount = u64("metadata_kv_count");
        if (kvCount < 0 || kvCount > MAX_METADATA || kvCount * 12 > size - pos) {
            throw error("metadata_kv_count", kvCountAt, "absurd metadata count " + Long.toUnsignedString(kvCount));
        }
        Map<String, Object> metadata = new LinkedHashMap<>();
        Map<String, GgufValueType> types = new LinkedHashMap<>();
        Map<String, Long> offsets = new HashMap<>();
        for (long i = 0; i < kvCount; i++) {
            long keyAt = pos;
            String key = string("metadata[" + i + "].key");
            if (metadata.containsKey(key)) {
                throw error("metadata[" + i + "].key", keyAt, "duplicate metadata key " + GgufText.quoted(key));
            }
            String field = "metadata " + GgufText.quoted(key);
            GgufValueType type = valueType(field + " type");
            offsets.put(key, pos);
            metadata.put(key, value(type, field, 0));
            types.put(key, type);
        }
        int alignment = alignment(metadata, types);
        List<GgufTensor> tensors = new ArrayList<>((int) Math.min(tensorCount, 4096));
        Set<String> names = new HashSet<>();
        for (long i = 0; i < tensorCount; i++) {
            tensors.add(tensorInfo(i, names));
        }
        long dataOffset = align(pos, alignment);
        if (tensorCount > 0 && dataOffset > size) {
            throw error("tensor data", dataOffset, "the data section starts past the end of the file (" + size
                    + " bytes)");
        }
        for (GgufTensor t : tensors) {
            String field = "tensor " + GgufText.quoted(t.name());
            if (t.offset() % alignment != 0) {
                throw error(field + " offset", dataOffset + t.offset(), "offset " + t.offset()
                        + " is not a multiple of the alignment " + alignment);
            }
            long end = dataOffset + t.offset() + t.byteSize();
            if (t.offset() < 0 || end < 0 || end > size) {
                throw error(field + " data", dataOffset + t.offset(), "its " + t.byteSize()
                        + " bytes end past the end of the file (" + size + " bytes)");
            }
        }
        return new GgufFile(path, (int) version, size, alignment, dataOffset, Collections.unmodifiableMap(metadata),
                Collections.unmodifiableMap(types), Map.copyOf(offsets), List.copyOf(tensors));
    }

    private int alignment(Map<String, Object> metadata, Map<String, GgufValueType> types) {
        Object value = metadata.get("general.alignment");
        if (value == null) {
            return DEFAULT_ALIGNMENT;
        }
        long a = value instanceof Long l ? l : -1;
        if (types.get("general.alignment") != GgufValueType.UINT32 || a <= 0 || Long.bitCount(a) != 1) {
            throw error("metadata 'general.alignment'", 0, "alignment must be a power of two stored as uint32, was "
                    + value);
        }
        return (int) a;
    }

    private GgufTensor tensorInfo(long i, Set<String> names) throws IOException {
        long at = pos;
        String name = string("tensor[" + i + "].name");
        if (!names.add(name)) {
            throw error("tensor[" + i + "].name", at, "duplicate tensor name " + GgufText.quoted(name));
        }
        String field = "tensor " + GgufText.quoted(name);
        long dimsAt = pos;
        long nDims = u32(field + " n_dims");
        if (nDims < 1 || nDims > MAX_DIMS) {
            throw error(field + " n_dims", dimsAt, "a tensor has 1 to " + MAX_DIMS + " dimensions, not " + nDims);
        }
        long[] dims = new long[(int) nDims];
        long elements = 1;
        for (int d = 0; d < nDims; d++) {
            long dimAt = pos;
            dims[d] = u64(field + " dimension " + d);
            if (dims[d] < 1) {
                throw error(field + " dimension " + d, dimAt, "absurd dimension " + Long.toUnsignedString(dims[d]));
            }
            try {
                elements = Math.multiplyExact(elements, dims[d]);
            } catch (ArithmeticException e) {
                throw error(field + " dimension " + d, dimAt, "the element count overflows");
            }
        }
        long typeAt = pos;
        long typeCode = u32(field + " type");
        GgmlType type = GgmlType.ofCode(typeCode);
        if (type == null) {
            throw error(field + " type", typeAt, "unknown tensor type " + typeCode);
        }
        if (dims[0] % type.blockSize() != 0) {
            throw error(field + " dimension 0", dimsAt + 4, "row length " + dims[0] + " is not a multiple of the "
                    + type + " block size " + type.blockSize());
        }
        if (elements / type.blockSize() > Long.MAX_VALUE / type.typeSize()) {
            throw error(field + " dimension 0", dimsAt + 4, "the tensor's byte size overflows");
        }
        long offset = u64(field + " offset");
        return new GgufTensor(name, dims, type, offset);
    }

    private GgufValueType valueType(String field) throws IOException {
        long at = pos;
        long code = u32(field);
        GgufValueType type = GgufValueType.ofCode(code);
        if (type == null) {
            throw error(field, at, "unknown value type " + code);
        }
        return type;
    }

    private Object value(GgufValueType type, String field, int nesting) throws IOException {
        return switch (type) {
            case UINT8 -> (long) (u8(field));
            case INT8 -> (long) (byte) u8(field);
            case UINT16 -> (long) (u16(field));
            case INT16 -> (long) (short) u16(field);
            case UINT32 -> u32(field);
            case INT32 -> (long) (int) u32(field);
            case UINT64, INT64 -> u64(field);
            case FLOAT32 -> (double) Float.intBitsToFloat((int) u32(field));
            case FLOAT64 -> Double.longBitsToDouble(u64(field));
            case BOOL -> {
                long at = pos;
                int b = u8(field);
                if (b > 1) {
                    throw error(field, at, "a bool must be 0 or 1, was " + b);
                }
                yield b == 1;
            }
            case STRING -> string(field);
            case ARRAY -> array(field, nesting);
        };
    }

    private List<Object> array(String field, int nesting) throws IOException {
        long at = pos;
        if (nesting >= MAX_ARRAY_NESTING) {
            throw error(field, at, "arrays nested deeper than " + MAX_ARRAY_NESTING);
        }
        GgufValueType elementType = valueType(field + " element type");
        long countAt = pos;
        long count = u64(field + " length");
        long remaining = size - pos;
        if (count < 0 || count > Integer.MAX_VALUE - 8 || count * elementType.minBytes() > remaining) {
            throw error(field + " length", countAt, "absurd array length " + Long.toUnsignedString(count)
                    + " for the " + remaining + " bytes left in the file");
        }
        List<Object> values = new ArrayList<>((int) count);
        for (long i = 0; i < count; i++) {
            values.add(value(elementType, field, nesting + 1));
        }
        return Collections.unmodifiableList(values);
    }

    private String string(String field) throws IOException {
        long at = pos;
        long length = u64(field + " length");
        if (length < 0 || length > MAX_STRING || length > size - pos) {
            throw error(field, at, "absurd string length " + Long.toUnsignedString(length) + " with " + (size - pos)
                    + " bytes left in the file");
        }
        byte[] bytes = new byte[(int) length];
        int done = 0;
        while (done < length) {
            fill(1, field);
            int n = Math.min(buffer.remaining(), bytes.length - done);
            buffer.get(bytes, done, n);
            done += n;
            pos += n;
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    private int u8(String field) throws IOException {
        fill(1, field);
        pos += 1;
        return buffer.get() & 0xFF;
    }

    private int u16(String field) throws IOException {
        fill(2, field);
        pos += 2;
        return buffer.getShort() & 0xFFFF;
    }

    private long u32(String field) throws IOException {
        fill(4, field);
        pos += 4;
        return buffer.getInt() & 0xFFFFFFFFL;
    }

    private long u64(String field) throws IOException {
        fill(8, field);
        pos += 8;
        return buffer.getLong();
    }

    /** Makes at least {@code n} bytes available in the buffer, or fails naming the field as truncated. */
    private void fill(int n, String field) throws IOException {
        if (buffer.remaining() >= n) {
            return;
        }
        if (pos + n > size) {
            throw error(field, pos, "the file is truncated: it ends at byte " + size + " but " + n
                    + " more bytes were expected");
        }
        buffer.compact();
        channel.position(pos + buffer.position());
        while (buffer.position() < n) {
            if (channel.read(buffer) < 0) {
                throw error(field, pos, "the file is truncated");
            }
        }
        buffer.flip();
    }

    private static long align(long offset, int alignment) {
        return (offset + alignment - 1) / alignment * alignment;
    }

    private ModelLoadException error(String field, long offset, String problem) {
        return new ModelLoadException("Malformed GGUF file " + path.getFileName() + ": " + field + " at offset "
                + offset + ": " + problem);
    }
}
