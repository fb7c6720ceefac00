package dev.locallm.onnx;

import dev.locallm.error.ModelLoadException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * What the files of a model folder say, read and checked once: {@code genai_config.json} (onnxruntime-genai's
 * description: decoder file and its input and output names), {@code config.json} (Hugging Face's), the tokenizer
 * files. Immutable.
 *
 * <p>A folder needs {@code tokenizer.json}, the decoder ONNX file, and {@code genai_config.json} or
 * {@code config.json}. Without {@code genai_config.json} the decoder is {@code model.onnx} with Optimum's names
 * ({@code past_key_values.%d.key} in, {@code present.%d.key} out). Without {@code tokenizer_config.json} no BOS is
 * added and there is no chat template. A missing or malformed file is a {@link ModelLoadException} naming it.
 *
 * @param folder         the model folder
 * @param decoder        the decoder ONNX file
 * @param io             the decoder's input and output names
 * @param layers         the decoder layers the configuration declares, if it does
 * @param contextLength  tokens the model can attend to
 * @param tokenizerFile  {@code tokenizer.json}
 * @param bos            the BOS token id, if any
 * @param eos            the ids that end a turn
 * @param addBos         whether a prompt starts with BOS
 * @param bosText        the BOS token's text, or empty
 * @param eosText        the EOS token's text, or empty
 * @param chatTemplate   the model's chat template, if it ships one
 */
record ModelDirectory(Path folder, Path decoder, DecoderIo io, OptionalInt layers, int contextLength,
                      Path tokenizerFile, OptionalInt bos, Set<Integer> eos, boolean addBos, String bosText,
                      String eosText, Optional<String> chatTemplate) {
    static final String GENAI_CONFIG = "genai_config.json";
    static final String GENERATION_CONFIG = "generation_config.json";
    static final String CONFIG = "config.json";
    static final String TOKENIZER = "tokenizer.json";
    static final String TOKENIZER_CONFIG = "tokenizer_config.json";
    private static final int DEFAULT_CONTEXT = 2048;

    /**
     * The names of a decoder's inputs and outputs; the past and present names hold {@code %d} for the layer.
     * An empty name means the model has no such input. {@code past} and {@code present} name a layer's key and value
     * stacked in one tensor ({@code [2, batch, heads, sequence, head_size]}, onnxruntime-genai's {@code past_names}
     * and {@code present_names}), for models that have no separate key and value.
     */
    record DecoderIo(String inputIds, String attentionMask, String positionIds, String pastKey, String pastValue,
                     String logits, String presentKey, String presentValue, String past, String present) {
        static final DecoderIo OPTIMUM = new DecoderIo("input_ids", "attention_mask", "position_ids",
                "past_key_values.%d.key", "past_key_values.%d.value", "logits", "present.%d.key",
                "present.%d.value", "", "");
    }

    /**
     * Reads a model folder.
     *
     * @throws ModelLoadException naming the folder or file at fault
     */
    static ModelDirectory read(Path folder) {
        if (!Files.isDirectory(folder)) {
            throw new ModelLoadException(Files.exists(folder)
                    ? "An ONNX model location must be a folder (with model.onnx, tokenizer.json and configs): " + folder
                    : "ONNX model folder not found: " + folder);
        }
        Optional<JsonNode> genai = optionalJson(folder.resolve(GENAI_CONFIG));
        Optional<JsonNode> config = optionalJson(folder.resolve(CONFIG));
        if (genai.isEmpty() && config.isEmpty()) {
            throw new ModelLoadException("ONNX model folder " + folder + " has neither " + GENAI_CONFIG + " nor "
                    + CONFIG + ": it does not describe a model");
        }
        JsonNode genaiModel = genai.map(g -> object(g, "model", folder.resolve(GENAI_CONFIG))).orElse(null);
        JsonNode decoderNode = genaiModel == null ? null : object(genaiModel, "decoder", folder.resolve(GENAI_CONFIG));
        Path genaiFile = folder.resolve(GENAI_CONFIG);
        Path configFile = folder.resolve(CONFIG);

        String decoderName = decoderNode == null ? "model.onnx" : string(decoderNode, "filename", genaiFile)
                .orElse("model.onnx");
        Path decoder = folder.resolve(decoderName).normalize();
        if (!decoder.startsWith(folder.normalize())) {
            throw new ModelLoadException(genaiFile + ": decoder filename '" + decoderName + "' leaves the folder");
        }
        if (!Files.isRegularFile(decoder)) {
            throw new ModelLoadException("Decoder file " + decoderName + " not found in ONNX model folder " + folder
                    + (genai.isPresent() ? " (named by " + GENAI_CONFIG + ")" : ""));
        }
        DecoderIo io = decoderNode == null ? DecoderIo.OPTIMUM : io(decoderNode, genaiFile);

        OptionalInt layers = firstInt(decoderNode, "num_hidden_layers", genaiFile);
        if (layers.isEmpty()) {
            layers = firstInt(config.orElse(null), "num_hidden_layers", configFile);
        }
        OptionalInt context = firstInt(genaiModel, "context_length", genaiFile);
        if (context.isEmpty()) {
            context = firstInt(config.orElse(null), "max_position_embeddings", configFile);
        }
        if (context.isEmpty()) {
            context = firstInt(config.orElse(null), "n_positions", configFile);
        }
        OptionalInt bos = firstInt(genaiModel, "bos_token_id", genaiFile);
        if (bos.isEmpty()) {
            bos = firstInt(config.orElse(null), "bos_token_id", configFile);
        }
        Path generationFile = folder.resolve(GENERATION_CONFIG);
        Set<Integer> eos = new LinkedHashSet<>(ids(genaiModel, "eos_token_id", genaiFile));
        eos.addAll(ids(config.orElse(null), "eos_token_id", configFile));
        eos.addAll(ids(optionalJson(generationFile).orElse(null), "eos_token_id", generationFile));

        Path tokenizer = folder.resolve(TOKENIZER);
        if (!Files.isRegularFile(tokenizer)) {
            throw new ModelLoadException(TOKENIZER + " not found in ONNX model folder " + folder);
        }
        Path tokenizerConfigFile = folder.resolve(TOKENIZER_CONFIG);
        Optional<JsonNode> tokenizerConfig = optionalJson(tokenizerConfigFile);
        boolean addBos = tokenizerConfig.map(t -> bool(t, "add_bos_token", tokenizerConfigFile)).orElse(false);
        String bosText = tokenizerConfig.flatMap(t -> tokenText(t, "bos_token", tokenizerConfigFile)).orElse("");
        String eosText = tokenizerConfig.flatMap(t -> tokenText(t, "eos_token", tokenizerConfigFile)).orElse("");
        Optional<String> template = tokenizerConfig.flatMap(t -> chatTemplate(t, tokenizerConfigFile));
        Path jinja = folder.resolve("chat_template.jinja");
        if (template.isEmpty() && Files.isRegularFile(jinja)) {
            template = Optional.of(readString(jinja));
        }
        if (addBos && bos.isEmpty()) {
            throw new ModelLoadException(tokenizerConfigFile + " sets add_bos_token but neither " + GENAI_CONFIG
                    + " nor " + CONFIG + " has bos_token_id");
        }
        return new ModelDirectory(folder, decoder, io, layers, context.orElse(DEFAULT_CONTEXT), tokenizer, bos,
                Set.copyOf(eos), addBos, bosText, eosText, template);
    }

    /** A short name for the model: its folder's. */
    String name() {
        Path file = folder.toAbsolutePath().normalize().getFileName();
        return file == null ? folder.toString() : file.toString();
    }

    private static DecoderIo io(JsonNode decoder, Path file) {
        JsonNode inputs = decoder.path("inputs");
        JsonNode outputs = decoder.path("outputs");
        DecoderIo d = DecoderIo.OPTIMUM;
        return new DecoderIo(name(inputs, "input_ids", d.inputIds(), file),
                name(inputs, "attention_mask", d.attentionMask(), file),
                name(inputs, "position_ids", d.positionIds(), file),
                name(inputs, "past_key_names", d.pastKey(), file),
                name(inputs, "past_value_names", d.pastValue(), file),
                name(outputs, "logits", d.logits(), file),
                name(outputs, "present_key_names", d.presentKey(), file),
                name(outputs, "present_value_names", d.presentValue(), file),
                name(inputs, "past_names", d.past(), file),
                name(outputs, "present_names", d.present(), file));
    }

    private static String name(JsonNode parent, String key, String fallback, Path file) {
        return parent.isObject() ? string(parent, key, file).orElse(fallback) : fallback;
    }

    private static Optional<JsonNode> optionalJson(Path file) {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        String text = readString(file);
        try {
            JsonNode node = JsonMapper.shared().readTree(text);
            if (node == null || !node.isObject()) {
                throw new ModelLoadException(file + " is not a JSON object");
            }
            return Optional.of(node);
        } catch (JacksonException e) {
            throw new ModelLoadException(file + " is not valid JSON: " + e.getOriginalMessage(), e);
        }
    }

    private static String readString(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException | RuntimeException e) {
            throw new ModelLoadException("Cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static JsonNode object(JsonNode parent, String key, Path file) {
        JsonNode node = parent.get(key);
        if (node == null || !node.isObject()) {
            throw new ModelLoadException(file + ": '" + key + "' must be an object");
        }
        return node;
    }

    private static Optional<String> string(JsonNode parent, String key, Path file) {
        JsonNode node = parent.get(key);
        if (node == null || node.isNull()) {
            return Optional.empty();
        }
        if (!node.isString()) {
            throw new ModelLoadException(file + ": '" + key + "' must be a string, was " + node);
        }
        return Optional.of(node.stringValue());
    }

    private static boolean bool(JsonNode parent, String key, Path file) {
        JsonNode node = parent.get(key);
        if (node == null || node.isNull()) {
            return false;
        }
        if (!node.isBoolean()) {
            throw new ModelLoadException(file + ": '" + key + "' must be true or false, was " + node);
        }
        return node.booleanValue();
    }

    /** An integer field, or the first of an array of integers. */
    private static OptionalInt firstInt(JsonNode parent, String key, Path file) {
        Set<Integer> ids = ids(parent, key, file);
        return ids.isEmpty() ? OptionalInt.empty() : OptionalInt.of(ids.iterator().next());
    }

    private static Set<Integer> ids(JsonNode parent, String key, Path file) {
        JsonNode node = parent == null ? null : parent.get(key);
        if (node == null || node.isNull()) {
            return Set.of();
        }
        List<JsonNode> values = node.isArray() ? List.copyOf(node.values()) : List.of(node);
        Set<Integer> ids = new LinkedHashSet<>();
        for (JsonNode v : values) {
            if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < 0) {
                throw new ModelLoadException(file + ": '" + key + "' must be a non-negative integer"
                        + (node.isArray() ? " or an array of them" : "") + ", was " + node);
            }
            ids.add(v.intValue());
        }
        return Collections.unmodifiableSet(ids);
    }

    /** A special token as {@code "<s>"} or as an added-token object {@code {"content": "<s>", ...}}. */
    private static Optional<String> tokenText(JsonNode parent, String key, Path file) {
        JsonNode node = parent.get(key);
        if (node != null && node.isObject()) {
            return string(node, "content", file);
        }
        return string(parent, key, file);
    }

    /** {@code chat_template} as a string, or as a list of named templates (the one named {@code default}). */
    private static Optional<String> chatTemplate(JsonNode parent, Path file) {
        JsonNode node = parent.get("chat_template");
        if (node == null || !node.isArray()) {
            return string(parent, "chat_template", file);
        }
        for (JsonNode named : node.values()) {
            if (named.isObject() && "default".equals(named.path("name").asString(""))) {
                return string(named, "template", file);
            }
        }
        throw new ModelLoadException(file + ": 'chat_template' is a list without a template named 'default'");
    }
}
