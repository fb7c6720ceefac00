package dev.locallm.llamacpp.gguf;

/** The type tags of GGUF metadata values, with their codes in the file. */
public enum GgufValueType {
    UINT8(0, 1),
    INT8(1, 1),
    UINT16(2, 2),
    INT16(3, 2),
    UINT32(4, 4),
    INT32(5, 4),
    FLOAT32(6, 4),
    BOOL(7, 1),
    STRING(8, 8),
    ARRAY(9, 12),
    UINT64(10, 8),
    INT64(11, 8),
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
