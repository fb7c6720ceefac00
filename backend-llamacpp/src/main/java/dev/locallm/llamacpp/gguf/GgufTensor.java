package dev.locallm.llamacpp.gguf;

import java.util.Arrays;
import java.util.Objects;

/**
 * One tensor's description in a GGUF file. Immutable.
 *
 * @param name       the tensor's name, such as {@code blk.0.attn_q.weight}
 * @param dimensions the shape, innermost (row length) first, as ggml stores it
 * @param type       the data type
 * @param offset     where its data starts, relative to the start of the data section
 */
public record GgufTensor(String name, long[] dimensions, GgmlType type, long offset) {

    /** Checks the parts; the dimensions are copied. */
    public GgufTensor {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        dimensions = dimensions.clone();
    }

    /** The shape, innermost first (a copy). */
    @Override
    public long[] dimensions() {
        return dimensions.clone();
    }

    /** Number of elements. */
    public long elementCount() {
        long n = 1;
        for (long d : dimensions) {
            n *= d;
        }
        return n;
    }

    /** Bytes of data. */
    public long byteSize() {
        return elementCount() / type.blockSize() * type.typeSize();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufTensor t && name.equals(t.name) && Arrays.equals(dimensions, t.dimensions)
                && type == t.type && offset == t.offset;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, Arrays.hashCode(dimensions), type, offset);
    }

    @Override
    public String toString() {
        return name + Arrays.toString(dimensions) + " " + type + " @" + offset;
    }
}
