package dev.locallm.llamacpp.gguf;

/**
 * Tensor data types of ggml, as numbered in GGUF files (llama.cpp b4916), with the size of one block: a
 * tensor row is stored as blocks of {@link #blockSize()} elements taking {@link #typeSize()} bytes each.
 */
public enum GgmlType {
    /** ggml's {@code f32}: one element in 4 bytes. */
    F32(0, 1, 4),
    /** ggml's {@code f16}: one element in 2 bytes. */
    F16(1, 1, 2),
    /** ggml's {@code q4_0}: blocks of 32 elements in 18 bytes. */
    Q4_0(2, 32, 18),
    /** ggml's {@code q4_1}: blocks of 32 elements in 20 bytes. */
    Q4_1(3, 32, 20),
    /** ggml's {@code q5_0}: blocks of 32 elements in 22 bytes. */
    Q5_0(6, 32, 22),
    /** ggml's {@code q5_1}: blocks of 32 elements in 24 bytes. */
    Q5_1(7, 32, 24),
    /** ggml's {@code q8_0}: blocks of 32 elements in 34 bytes. */
    Q8_0(8, 32, 34),
    /** ggml's {@code q8_1}: blocks of 32 elements in 36 bytes. */
    Q8_1(9, 32, 36),
    /** ggml's {@code q2_k}: blocks of 256 elements in 84 bytes. */
    Q2_K(10, 256, 84),
    /** ggml's {@code q3_k}: blocks of 256 elements in 110 bytes. */
    Q3_K(11, 256, 110),
    /** ggml's {@code q4_k}: blocks of 256 elements in 144 bytes. */
    Q4_K(12, 256, 144),
    /** ggml's {@code q5_k}: blocks of 256 elements in 176 bytes. */
    Q5_K(13, 256, 176),
    /** ggml's {@code q6_k}: blocks of 256 elements in 210 bytes. */
    Q6_K(14, 256, 210),
    /** ggml's {@code q8_k}: blocks of 256 elements in 292 bytes. */
    Q8_K(15, 256, 292),
    /** ggml's {@code iq2_xxs}: blocks of 256 elements in 66 bytes. */
    IQ2_XXS(16, 256, 66),
    /** ggml's {@code iq2_xs}: blocks of 256 elements in 74 bytes. */
    IQ2_XS(17, 256, 74),
    /** ggml's {@code iq3_xxs}: blocks of 256 elements in 98 bytes. */
    IQ3_XXS(18, 256, 98),
    /** ggml's {@code iq1_s}: blocks of 256 elements in 50 bytes. */
    IQ1_S(19, 256, 50),
    /** ggml's {@code iq4_nl}: blocks of 32 elements in 18 bytes. */
    IQ4_NL(20, 32, 18),
    /** ggml's {@code iq3_s}: blocks of 256 elements in 110 bytes. */
    IQ3_S(21, 256, 110),
    /** ggml's {@code iq2_s}: blocks of 256 elements in 82 bytes. */
    IQ2_S(22, 256, 82),
    /** ggml's {@code iq4_xs}: blocks of 256 elements in 136 bytes. */
    IQ4_XS(23, 256, 136),
    /** ggml's {@code i8}: one element in 1 byte. */
    I8(24, 1, 1),
    /** ggml's {@code i16}: one element in 2 bytes. */
    I16(25, 1, 2),
    /** ggml's {@code i32}: one element in 4 bytes. */
    I32(26, 1, 4),
    /** ggml's {@code i64}: one element in 8 bytes. */
    I64(27, 1, 8),
    /** ggml's {@code f64}: one element in 8 bytes. */
    F64(28, 1, 8),
    /** ggml's {@code iq1_m}: blocks of 256 elements in 56 bytes. */
    IQ1_M(29, 256, 56),
    /** ggml's {@code bf16}: one element in 2 bytes. */
    BF16(30, 1, 2),
    /** ggml's {@code tq1_0}: blocks of 256 elements in 54 bytes. */
    TQ1_0(34, 256, 54),
    /** ggml's {@code tq2_0}: blocks of 256 elements in 66 bytes. */
    TQ2_0(35, 256, 66);

    private final int code;
    private final int blockSize;
    private final int typeSize;

    GgmlType(int code, int blockSize, int typeSize) {
        this.code = code;
        this.blockSize = blockSize;
        this.typeSize = typeSize;
    }

    /** The type's number in GGUF files. */
    public int code() {
        return code;
    }

    /** Elements per block. */
    public int blockSize() {
        return blockSize;
    }

    /** Bytes per block. */
    public int typeSize() {
        return typeSize;
    }

    /** The type with this code, or {@code null} when the code is unknown to this version. */
    public static GgmlType ofCode(long code) {
        for (GgmlType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        return null;
    }
}
