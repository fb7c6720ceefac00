package dev.locallm.llamacpp.gguf;

import dev.locallm.error.ModelLoadException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * A GGUF model file's header, metadata and tensor descriptions, read and validated in Java before any native
 * code sees the file. Immutable and thread-safe.
 *
 * <pre>{@code
 * GgufFile gguf = GgufFile.read(Path.of("model.gguf"));
 * System.out.println(gguf.architecture() + " " + gguf.parameterCount() + " " + gguf.quantization());
 * }</pre>
 *
 * <p>Metadata values are {@link Long} (all integer types), {@link Double} (both float types),
 * {@link Boolean}, {@link String} or unmodifiable {@link List}s of those.
 */
public final class GgufFile {
    private static final Map<Integer, String> FILE_TYPES = Map.ofEntries(
            Map.entry(0, "F32"), Map.entry(1, "F16"), Map.entry(2, "Q4_0"), Map.entry(3, "Q4_1"),
            Map.entry(7, "Q8_0"), Map.entry(8, "Q5_0"), Map.entry(9, "Q5_1"), Map.entry(10, "Q2_K"),
            Map.entry(11, "Q3_K_S"), Map.entry(12, "Q3_K_M"), Map.entry(13, "Q3_K_L"), Map.entry(14, "Q4_K_S"),
            Map.entry(15, "Q4_K_M"), Map.entry(16, "Q5_K_S"), Map.entry(17, "Q5_K_M"), Map.entry(18, "Q6_K"),
            Map.entry(19, "IQ2_XXS"), Map.entry(20, "IQ2_XS"), Map.entry(21, "Q2_K_S"), Map.entry(22, "IQ3_XS"),
            Map.entry(23, "IQ3_XXS"), Map.entry(24, "IQ1_S"), Map.entry(25, "IQ4_NL"), Map.entry(26, "IQ3_S"),
            Map.entry(27, "IQ3_M"), Map.entry(28, "IQ2_S"), Map.entry(29, "IQ2_M"), Map.entry(30, "IQ4_XS"),
            Map.entry(31, "IQ1_M"), Map.entry(32, "BF16"), Map.entry(36, "TQ1_0"), Map.entry(37, "TQ2_0"));

    /**
     * The token ids a model marks as special, and their texts.
     *
     * @param bos         beginning-of-sequence token id, when the model has one
     * @param eos         end-of-sequence token id, when the model has one
     * @param bosText     the BOS token's text, or empty
     * @param eosText     the EOS token's text, or empty
     * @param addBos      whether the tokenizer puts BOS in front of a prompt
     */
    public record SpecialTokens(OptionalInt bos, OptionalInt eos, String bosText, String eosText, boolean addBos) { }

    private final Path path;
    private final int version;
    private final long fileSize;
    private final int alignment;
    private final long dataOffset;
    private final Map<String, Object> metadata;
    private final Map<String, GgufValueType> types;
    private final Map<String, Long> offsets;
    private final List<GgufTensor> tensors;

    GgufFile(Path path, int version, long fileSize, int alignment, long dataOffset, Map<String, Object> metadata,
             Map<String, GgufValueType> types, Map<String, Long> offsets, List<GgufTensor> tensors) {
        this.path = path;
        this.version = version;
        this.fileSize = fileSize;
        this.alignment = alignment;
        this.dataOffset = dataOffset;
        this.metadata = metadata;
        this.types = types;
        this.offsets = offsets;
        this.tensors = tensors;
    }

    /**
     * Reads and validates a GGUF file.
     *
     * @throws ModelLoadException when the file is missing, unreadable or malformed; the message names the field
     *                            and byte offset at fault
     */
    public static GgufFile read(Path path) {
        Objects.requireNonNull(path, "path");
        if (!Files.exists(path)) {
            throw new ModelLoadException("Model file not found: " + path.toAbsolutePath());
        }
        if (!Files.isRegularFile(path)) {
            throw new ModelLoadException("Not a file: " + path.toAbsolutePath());
        }
        return GgufReader.read(path);
    }

    /** The file read. */
    public Path path() {
        return path;
    }

    /** GGUF format version, 2 or 3. */
    public int version() {
        return version;
    }

    /** The file's size in bytes. */
    public long fileSize() {
        return fileSize;
    }

    /** Alignment of tensor data in bytes. */
    public int alignment() {
        return alignment;
    }

    /** Where tensor data starts in the file. */
    public long dataOffset() {
        return dataOffset;
    }

    /** All metadata, in file order. */
    public Map<String, Object> metadata() {
        return metadata;
    }

    /** The stored type of a metadata value. */
    public Optional<GgufValueType> valueType(String key) {
        return Optional.ofNullable(types.get(key));
    }

    /** All tensor descriptions, in file order. */
    public List<GgufTensor> tensors() {
        return tensors;
    }

    /** A string metadata value; empty when absent or of another type. */
    public Optional<String> string(String key) {
        return metadata.get(key) instanceof String s ? Optional.of(s) : Optional.empty();
    }

    /** An integer metadata value (any integer type); empty when absent or of another type. */
    public OptionalLong integer(String key) {
        return metadata.get(key) instanceof Long l ? OptionalLong.of(l) : OptionalLong.empty();
    }

    /** The byte offset in the file where the value of metadata {@code key} starts; empty when there is no such key. */
    public OptionalLong valueOffset(String key) {
        Long offset = offsets.get(key);
        return offset == null ? OptionalLong.empty() : OptionalLong.of(offset);
    }

    /** A boolean metadata value; empty when absent or of another type. */
    public Optional<Boolean> bool(String key) {
        return metadata.get(key) instanceof Boolean b ? Optional.of(b) : Optional.empty();
    }

    /** {@code general.architecture}, such as {@code llama}. */
    public String architecture() {
        return string("general.architecture").orElse("unknown");
    }

    /** {@code general.name}, or the file name without extension. */
    public String name() {
        return string("general.name").orElseGet(() -> {
            String file = path.getFileName().toString();
            return file.endsWith(".gguf") ? file.substring(0, file.length() - 5) : file;
        });
    }

    /** Number of weights: the elements of all tensors. */
    public long parameterCount() {
        long n = 0;
        for (GgufTensor t : tensors) {
            n += t.elementCount();
        }
        return n;
    }

    /**
     * The quantization: the name of {@code general.file_type} when set (such as {@code Q4_K_M}), otherwise the
     * type that holds the most weights.
     */
    public String quantization() {
        OptionalLong fileType = integer("general.file_type");
        if (fileType.isPresent() && FILE_TYPES.containsKey((int) fileType.getAsLong())) {
            return FILE_TYPES.get((int) fileType.getAsLong());
        }
        Map<GgmlType, Long> byType = new EnumMap<>(GgmlType.class);
        tensors.forEach(t -> byType.merge(t.type(), t.elementCount(), Long::sum));
        return byType.entrySet().stream().max(Map.Entry.comparingByValue()).map(e -> e.getKey().name())
                .orElse("unknown");
    }

    /** {@code <arch>.context_length}: the context the model was trained for. */
    public OptionalInt contextLength() {
        return archInt("context_length");
    }

    /** {@code <arch>.embedding_length}. */
    public OptionalInt embeddingLength() {
        return archInt("embedding_length");
    }

    /** {@code <arch>.block_count}: number of layers. */
    public OptionalInt blockCount() {
        return archInt("block_count");
    }

    private OptionalInt archInt(String suffix) {
        OptionalLong v = integer(architecture() + "." + suffix);
        return v.isPresent() && v.getAsLong() > 0 && v.getAsLong() <= Integer.MAX_VALUE
                ? OptionalInt.of((int) v.getAsLong()) : OptionalInt.empty();
    }

    /** {@code tokenizer.chat_template}, the Jinja chat template, when the model has one. */
    public Optional<String> chatTemplate() {
        return string("tokenizer.chat_template").filter(s -> !s.isBlank());
    }

    /** Size of the vocabulary, from {@code tokenizer.ggml.tokens}. */
    public int vocabularySize() {
        return metadata.get("tokenizer.ggml.tokens") instanceof List<?> l ? l.size() : 0;
    }

    /** The text of token {@code id}, when the vocabulary is in the metadata. */
    public Optional<String> tokenText(int id) {
        if (metadata.get("tokenizer.ggml.tokens") instanceof List<?> l && id >= 0 && id < l.size()
                && l.get(id) instanceof String s) {
            return Optional.of(s);
        }
        return Optional.empty();
    }

    /** The BOS and EOS tokens and whether BOS is added to prompts. */
    public SpecialTokens specialTokens() {
        OptionalInt bos = tokenId("tokenizer.ggml.bos_token_id");
        OptionalInt eos = tokenId("tokenizer.ggml.eos_token_id");
        boolean addBos = bool("tokenizer.ggml.add_bos_token")
                .orElse(bos.isPresent() && "llama".equals(string("tokenizer.ggml.model").orElse("")));
        return new SpecialTokens(bos, eos, text(bos), text(eos), addBos && bos.isPresent());
    }

    private OptionalInt tokenId(String key) {
        OptionalLong v = integer(key);
        return v.isPresent() && v.getAsLong() >= 0 && v.getAsLong() < Math.max(vocabularySize(), 1)
                ? OptionalInt.of((int) v.getAsLong()) : OptionalInt.empty();
    }

    private String text(OptionalInt id) {
        return id.isPresent() ? tokenText(id.getAsInt()).orElse("") : "";
    }

    @Override
    public String toString() {
        return "GgufFile[" + path.getFileName() + ", " + architecture() + ", " + tensors.size() + " tensors]";
    }
}
