package dev.locallm.bench;

import dev.locallm.llamacpp.gguf.GgmlType;
import dev.locallm.llamacpp.gguf.SyntheticLlamaGguf;
import dev.locallm.onnx.SyntheticLlamaOnnx;
import java.nio.file.Files;
import java.nio.file.Path;

/** The models benchmarks run on: the staged stories260K, and a random-weight model of a real model's shape. */
final class BenchModels {
    private BenchModels() {
    }

    /** {@code stories260K.gguf} from {@code LOCALLM_TEST_MODELS} or {@code ../shared/models}. */
    static Path stories() {
        return shared("stories260K.gguf");
    }

    /** A file or model folder of the shared models, from {@code LOCALLM_TEST_MODELS} or {@code ../shared/models}. */
    static Path shared(String name) {
        String env = System.getenv("LOCALLM_TEST_MODELS");
        Path dir = env != null && !env.isBlank() ? Path.of(env) : Path.of("..", "shared", "models");
        Path p = dir.resolve(name);
        if (!Files.exists(p)) {
            p = Path.of("..", "..", "shared", "models", name);
        }
        if (!Files.exists(p)) {
            throw new IllegalStateException(name + " not found; set LOCALLM_TEST_MODELS");
        }
        return p.toAbsolutePath().normalize();
    }

    /**
     * A llama-architecture model with SmolLM2-135M's shape (hidden 576, 30 layers, 9 heads, 3 KV heads, FFN 1536,
     * vocabulary 49152, tied embeddings: 134.5 M parameters) and random weights, written once to
     * {@code bench/target/models/}. Its text is noise; its speed is that of the real model.
     */
    static Path smolLm2Shape(GgmlType type) {
        SyntheticLlamaGguf model = new SyntheticLlamaGguf().shape(576, 30, 9, 3, 1536, 49152).context(2048)
                .weightType(type).randomWeights(135).dropTensor("output.weight");
        return synthetic("smollm2-135m-shape", type, model, model.parameterCount() - 576L * 49152);
    }

    /**
     * A llama-architecture model with TinyLlama-1.1B's shape (hidden 2048, 22 layers, 32 heads, 4 KV heads, FFN
     * 5632, vocabulary 32000, context 2048, an output matrix of its own: 1.1 B parameters) and random weights,
     * written once to {@code bench/target/models/} like {@link #smolLm2Shape}.
     */
    static Path tinyLlamaShape(GgmlType type) {
        SyntheticLlamaGguf model = new SyntheticLlamaGguf().shape(2048, 22, 32, 4, 5632, 32000).context(2048)
                .weightType(type).randomWeights(1100);
        return synthetic("tinyllama-1.1b-shape", type, model, model.parameterCount());
    }

    /**
     * {@link #smolLm2Shape} in F32 as an ONNX decoder folder ({@link SyntheticLlamaOnnx}): the weights of
     * {@code smolLm2Shape(GgmlType.F32)}, written once to {@code bench/target/models/}.
     */
    static Path smolLm2ShapeOnnx() {
        Path folder = Path.of(System.getProperty("bench.models", "target/models"), "smollm2-135m-shape-f32-onnx");
        if (Files.isRegularFile(folder.resolve("tokenizer.json"))) {
            return folder.toAbsolutePath();
        }
        long start = System.nanoTime();
        try {
            new SyntheticLlamaOnnx(576, 30, 9, 3, 1536, 49152, 2048, 135).write(folder);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        System.err.printf("wrote %s in %.1f s%n", folder, (System.nanoTime() - start) / 1e9);
        return folder.toAbsolutePath();
    }

    private static Path synthetic(String name, GgmlType type, SyntheticLlamaGguf model, long parameters) {
        Path dir = Path.of(System.getProperty("bench.models", "target/models"));
        Path file = dir.resolve(name + "-" + type.name().toLowerCase(java.util.Locale.ROOT) + ".gguf");
        if (Files.isRegularFile(file)) {
            return file.toAbsolutePath();
        }
        try {
            Files.createDirectories(dir);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        long start = System.nanoTime();
        Path tmp = dir.resolve(file.getFileName() + ".tmp");
        model.write(tmp);
        try {
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        System.err.printf("wrote %s (%d parameters) in %.1f s%n", file, parameters, (System.nanoTime() - start) / 1e9);
        return file.toAbsolutePath();
    }
}
