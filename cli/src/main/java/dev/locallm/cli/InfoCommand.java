package dev.locallm.cli;

import dev.locallm.llamacpp.NativeLibraryInfo;
import dev.locallm.llamacpp.gguf.GgufFile;
import dev.locallm.llamacpp.gguf.GgufTensor;
import dev.locallm.spi.ModelLocation;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code locallm info}: prints a GGUF file's metadata as JSON, read in Java without loading the model. Long
 * arrays (the vocabulary) are summarised by type, length and first entries unless {@code --full} is given.
 * {@code locallm info --native} prints the llama.cpp native library this machine loads instead
 * ({@link NativeLibraryInfo}).
 */
@Command(name = "info", description = "Print a GGUF file's metadata, or the native library (--native), as JSON.")
final class InfoCommand implements Callable<Integer> {
    private static final int ARRAY_PREVIEW = 8;

    @Option(names = {"-m", "--model"}, paramLabel = "PATH", description = "A GGUF file.")
    String model;

    @Option(names = "--native", description = "Print the llama.cpp native library this machine loads: where it "
            + "came from, its llama.cpp release, CPU features, GPU offload and devices.")
    boolean nativeLibrary;

    @Option(names = "--full", description = "Print every array element and every tensor.")
    boolean full;

    @CommandLine.Mixin
    VerboseOption verbose;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        verbose.apply();
        ObjectMapper mapper = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();
        if (nativeLibrary) {
            spec.commandLine().getOut().println(mapper.writeValueAsString(NativeLibraryInfo.current()));
            spec.commandLine().getOut().flush();
            return 0;
        }
        if (model == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "Missing required option: '--model=PATH' "
                    + "(or --native)");
        }
        GgufFile gguf = GgufFile.read(Path.of(ModelLocation.parse(model).path()));
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("file", gguf.path().toAbsolutePath().normalize().toString());
        json.put("fileSize", gguf.fileSize());
        json.put("ggufVersion", gguf.version());
        json.put("architecture", gguf.architecture());
        json.put("name", gguf.name());
        json.put("parameterCount", gguf.parameterCount());
        json.put("quantization", gguf.quantization());
        json.put("contextLength", gguf.contextLength().isPresent() ? gguf.contextLength().getAsInt() : null);
        json.put("embeddingLength", gguf.embeddingLength().isPresent() ? gguf.embeddingLength().getAsInt() : null);
        json.put("blockCount", gguf.blockCount().isPresent() ? gguf.blockCount().getAsInt() : null);
        json.put("vocabularySize", gguf.vocabularySize());
        json.put("chatTemplate", gguf.chatTemplate().orElse(null));
        GgufFile.SpecialTokens special = gguf.specialTokens();
        Map<String, Object> tokens = new LinkedHashMap<>();
        tokens.put("bos", special.bos().isPresent() ? token(special.bos().getAsInt(), special.bosText()) : null);
        tokens.put("eos", special.eos().isPresent() ? token(special.eos().getAsInt(), special.eosText()) : null);
        tokens.put("addBos", special.addBos());
        json.put("specialTokens", tokens);
        Map<String, Object> metadata = new LinkedHashMap<>();
        gguf.metadata().forEach((key, value) -> metadata.put(key, summarise(value)));
        json.put("metadata", metadata);
        json.put("tensorCount", gguf.tensors().size());
        List<GgufTensor> tensors = full ? gguf.tensors()
                : gguf.tensors().subList(0, Math.min(ARRAY_PREVIEW, gguf.tensors().size()));
        json.put(full ? "tensors" : "firstTensors", tensors.stream().map(t -> Map.of("name", t.name(), "type",
                t.type().name(), "dimensions", t.dimensions(), "offset", t.offset())).toList());
        spec.commandLine().getOut().println(mapper.writeValueAsString(json));
        spec.commandLine().getOut().flush();
        return 0;
    }

    private static Map<String, Object> token(int id, String text) {
        Map<String, Object> token = new LinkedHashMap<>();
        token.put("id", id);
        token.put("text", text);
        return token;
    }

    private Object summarise(Object value) {
        if (full || !(value instanceof List<?> list) || list.size() <= ARRAY_PREVIEW) {
            return value;
        }
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("length", list.size());
        summary.put("first", list.subList(0, ARRAY_PREVIEW));
        return summary;
    }
}
