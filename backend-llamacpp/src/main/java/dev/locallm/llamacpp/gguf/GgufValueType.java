package dev.locallm.llamacpp.gguf;

/** The type tags of GGUF metadata values, with their codes in the file. */
public enum GgufValueType {
    /** A unsigned 8-bit integer. */
    UINT8(0, 1),
    /** A signed 8-bit integer. */
    INT8(1, 1),
    /** A unsigned 16-bit integer. */
    UINT16(2, 2),
    /** A signed 16-bit integer. */
    INT16(3, 2),
    /** A unsigned 32-bit integer. */
    UINT32(4, 4),
    /** A signed 32-bit integer. */
    INT32(5, 4),
    /** A 32-bit float. */
    FLOAT32(6, 4),
    /** A boolean (one byte). */
    BOOL(7, 1),
    /** A UTF-8 string (64-bit length, then the bytes). */
    STRING(8, 8),
    /** A array (element type, 64-bit count, then the elements). */
    ARRAY(9, 12),
    /** A unsigned 64-bit integer. */
    UINT64(10, 8),
    /** A signed 64-bit integer. */
    INT64(11, 8),
    /** A 64-bit float. */
    FLOAT64(12, 8);

    private final int code;
    private final int minBytes;

    GgufValueType(int code, int minBytes) {
        this.code = code;
        this.minBytes = minBytes;
    }

    /** The code of this type in a GGUF file. */
    public int code() {
        return code;
    }

    /** The fewest bytes a value of this type takes in the file (a string's or array's header). */
    int minBytes() {
        return minBytes;
    }

    /** The type with this code, or {@code null} when the code is unknown. */
    static GgufValueType ofCode(long code) {
        for (GgufValueType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        return null;
    }
}
