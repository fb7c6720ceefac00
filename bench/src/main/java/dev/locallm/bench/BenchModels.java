package dev.locallm.bench;

import dev.locallm.llamacpp.gguf.GgmlType;
import dev.locallm.llamacpp.gguf.SyntheticLlamaGguf;
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
        Path dir = Path.of(System.getProperty("bench.models", "target/models"));
        Path file = dir.resolve("smollm2-135m-shape-" + type.name().toLowerCase(java.util.Locale.ROOT) + ".gguf");
        if (Files.isRegularFile(file)) {
            return file.toAbsolutePath();
        }
        try {
            Files.createDirectories(dir);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        long start = System.nanoTime();
        SyntheticLlamaGguf model = new SyntheticLlamaGguf().shape(576, 30, 9, 3, 1536, 49152).context(2048)
                .weightType(type).randomWeights(135).dropTensor("output.weight");
        Path tmp = dir.resolve(file.getFileName() + ".tmp");
        model.write(tmp);
        try {
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        System.err.printf("wrote %s (%d parameters) in %.1f s%n", file, model.parameterCount() - 576L * 49152,
                (System.nanoTime() - start) / 1e9);
        return file.toAbsolutePath();
    }
}
