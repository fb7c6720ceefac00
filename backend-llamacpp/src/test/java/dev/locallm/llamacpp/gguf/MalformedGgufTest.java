package dev.locallm.llamacpp.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.locallm.error.ModelLoadException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Malformed GGUF files, each built from a valid one: every one must fail with a {@link ModelLoadException}
 * that names the problem, never with another exception or an allocation the file cannot justify.
 */
class MalformedGgufTest {
    @TempDir
    static Path dir;
    static byte[] valid;

    @BeforeAll
    static void writeValidFile() throws IOException {
        valid = Files.readAllBytes(new SyntheticLlamaGguf().shape(64, 1, 4, 4, 64, 360).weightType(GgmlType.Q8_0)
                .write(dir.resolve("valid.gguf")));
    }

    /** One malformed file: how to make it from the valid bytes, and a fragment its error message must contain. */
    record Case(String name, String expected, UnaryOperator<byte[]> mutation) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Arguments> cases() {
        List<Case> c = new ArrayList<>();
        c.add(new Case("empty file", "magic at offset 0", b -> new byte[0]));
        c.add(new Case("three bytes", "truncated", b -> Arrays.copyOf(b, 3)));
        c.add(new Case("bad magic", "not a GGUF file", b -> put32(b, 0, 0x46554748)));
        c.add(new Case("zip file", "not a GGUF file", b -> put32(b, 0, 0x04034b50)));
        c.add(new Case("version 1", "version 1 is not supported", b -> put32(b, 4, 1)));
        c.add(new Case("version 99", "unsupported GGUF version 99", b -> put32(b, 4, 99)));
        c.add(new Case("big-endian version", "big-endian", b -> put32(b, 4, 0x03000000)));
        c.add(new Case("header only", "truncated", b -> Arrays.copyOf(b, 16)));
        c.add(new Case("absurd tensor count", "absurd tensor count", b -> put64(b, 8, 1L << 40)));
        c.add(new Case("negative tensor count", "absurd tensor count", b -> put64(b, 8, -1)));
        c.add(new Case("absurd metadata count", "absurd metadata count", b -> put64(b, 16, 1L << 33)));
        c.add(new Case("metadata count past end", "metadata", b -> put64(b, 16, 5000)));
        c.add(new Case("absurd key length", "absurd string length", b -> put64(b, 24, 1L << 50)));
        c.add(new Case("key length past end", "absurd string length", b -> put64(b, 24, b.length)));
        c.add(new Case("unknown value type", "unknown value type 99",
                b -> put32(b, afterKey(b, "general.architecture"), 99)));
        c.add(new Case("absurd string value", "absurd string length",
                b -> put64(b, afterKey(b, "general.architecture") + 4, 1L << 60)));
        c.add(new Case("absurd array length", "absurd array length",
                b -> put64(b, afterKey(b, "tokenizer.ggml.tokens") + 8, 1L << 35)));
        c.add(new Case("array of unknown type", "unknown value type",
                b -> put32(b, afterKey(b, "tokenizer.ggml.tokens") + 4, 77)));
        c.add(new Case("array element type array-of-array past end", "",
                b -> put32(b, afterKey(b, "tokenizer.ggml.scores") + 4, 9)));
        c.add(new Case("bool of value 7", "a bool must be 0 or 1", b -> boolSeven()));
        c.add(new Case("duplicate key", "duplicate metadata key",
                b -> rename(b, "tokenizer.ggml.eos_token_id", "tokenizer.ggml.bos_token_id")));
        c.add(new Case("zero dimensions", "1 to 4 dimensions", b -> put32(b, afterName(b, "output_norm.weight"), 0)));
        c.add(new Case("five dimensions", "1 to 4 dimensions", b -> put32(b, afterName(b, "output_norm.weight"), 5)));
        c.add(new Case("dimension zero", "absurd dimension", b -> put64(b, afterName(b, "output_norm.weight") + 4, 0)));
        c.add(new Case("dimension overflow", "overflows", b -> {
            int at = afterName(b, "token_embd.weight");
            put64(b, at + 4, 1L << 40);
            return put64(b, at + 12, 1L << 40);
        }));
        c.add(new Case("unknown tensor type", "unknown tensor type 99",
                b -> put32(b, afterName(b, "output_norm.weight") + 4 + 8, 99)));
        c.add(new Case("removed tensor type 4", "unknown tensor type 4",
                b -> put32(b, afterName(b, "output_norm.weight") + 4 + 8, 4)));
        c.add(new Case("row not a multiple of the block", "block size",
                b -> put64(b, afterName(b, "token_embd.weight") + 4, 65)));
        c.add(new Case("misaligned tensor offset", "not a multiple of the alignment",
                b -> put64(b, afterName(b, "output_norm.weight") + 4 + 8 + 4, 3)));
        c.add(new Case("tensor offset past end", "past the end of the file",
                b -> put64(b, afterName(b, "output_norm.weight") + 4 + 8 + 4, 1L << 40)));
        c.add(new Case("negative tensor offset", "past the end of the file",
                b -> put64(b, afterName(b, "output_norm.weight") + 4 + 8 + 4, -64)));
        c.add(new Case("tensor data truncated", "past the end of the file", b -> Arrays.copyOf(b, b.length - 100)));
        c.add(new Case("duplicate tensor name", "duplicate tensor name",
                b -> rename(b, "blk.0.attn_k.weight", "blk.0.attn_q.weight")));
        c.add(new Case("alignment not a power of two", "power of two", b -> alignment(48)));
        c.add(new Case("alignment zero", "power of two", b -> alignment(0)));
        c.add(new Case("truncated inside the tensor infos", "truncated",
                b -> Arrays.copyOf(b, afterName(b, "output.weight") + 2)));
        return c.stream().map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void malformedFileFailsWithAClearError(Case malformed) throws IOException {
        // given
        Path file = dir.resolve(malformed.name().replace(' ', '-') + ".gguf");
        Files.write(file, malformed.mutation().apply(valid.clone()));
        // when / then
        assertThatThrownBy(() -> GgufFile.read(file))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining(malformed.expected())
                .hasMessageMatching("(?s).*(offset \\d+|Malformed|not a GGUF).*");
    }

    @Test
    void theUnmodifiedFileReads() {
        assertThatCode(() -> GgufFile.read(Files.write(dir.resolve("copy.gguf"), valid))).doesNotThrowAnyException();
    }

    @Test
    void everyTruncationOfTheHeaderFailsCleanly() throws IOException {
        // given the header: everything before the tensor data
        int header = (int) GgufFile.read(Files.write(dir.resolve("h.gguf"), valid)).dataOffset();
        Path file = dir.resolve("truncated.gguf");
        for (int length = 0; length < header; length += 7) {
            Files.write(file, Arrays.copyOf(valid, length));
            // when / then
            assertThatThrownBy(() -> GgufFile.read(file)).as("length %d", length).isInstanceOf(ModelLoadException.class);
        }
    }

    @Test
    void randomByteCorruptionNeverEscapesAsAnotherException() throws IOException {
        int header = (int) GgufFile.read(Files.write(dir.resolve("r.gguf"), valid)).dataOffset();
        SplittableRandom random = new SplittableRandom(2026);
        Path file = dir.resolve("corrupt.gguf");
        int rejected = 0;
        for (int i = 0; i < 400; i++) {
            byte[] b = valid.clone();
            for (int flips = 1 + random.nextInt(4); flips > 0; flips--) {
                b[random.nextInt(header)] = (byte) random.nextInt(256);
            }
            Files.write(file, b);
            try {
                GgufFile.read(file);
            } catch (ModelLoadException e) {
                rejected++;
            }
        }
        assertThat(rejected).as("corrupted files rejected").isPositive();
    }

    @Test
    void missingFileIsAModelLoadError() {
        assertThatThrownBy(() -> GgufFile.read(dir.resolve("absent.gguf")))
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("not found");
        assertThatThrownBy(() -> GgufFile.read(dir)).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("Not a file");
    }

    // ---- byte surgery

    private static byte[] put32(byte[] b, int at, long value) {
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(at, (int) value);
        return b;
    }

    private static byte[] put64(byte[] b, int at, long value) {
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(at, value);
        return b;
    }

    private static int indexOf(byte[] b, String text) {
        byte[] needle = text.getBytes(StandardCharsets.UTF_8);
        outer:
        for (int i = 0; i <= b.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (b[i + j] != needle[j]) {
                    continue outer;
                }
            }
            if (ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(i - 8) == needle.length) {
                return i;
            }
        }
        throw new IllegalArgumentException(text + " not found");
    }

    /** Offset of the value type that follows a metadata key. */
    private static int afterKey(byte[] b, String key) {
        return indexOf(b, key) + key.length();
    }

    /** Offset of n_dims after a tensor name. */
    private static int afterName(byte[] b, String name) {
        return indexOf(b, name) + name.length();
    }

    /** Overwrites a name in place with another of the same length. */
    private static byte[] rename(byte[] b, String from, String to) {
        assertThat(to).hasSameSizeAs(from);
        System.arraycopy(to.getBytes(StandardCharsets.UTF_8), 0, b, indexOf(b, from), from.length());
        return b;
    }

    private static byte[] boolSeven() {
        try {
            GgufWriter w = new GgufWriter().string("general.architecture", "llama").bool("flag", true);
            Path p = Files.createTempFile(dir, "bool", ".gguf");
            w.write(p);
            byte[] b = Files.readAllBytes(p);
            b[afterKey(b, "flag") + 4] = 7;
            return b;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static byte[] alignment(long value) {
        try {
            Path p = Files.createTempFile(dir, "align", ".gguf");
            new GgufWriter().string("general.architecture", "llama").uint32("general.alignment", value)
                    .tensor("t", GgmlType.F32, new long[] {8}, GgufWriter.TensorData.zeros()).write(p);
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
