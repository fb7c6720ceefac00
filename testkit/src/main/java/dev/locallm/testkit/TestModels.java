package dev.locallm.testkit;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * Finds the small real models tests run on. The folder is, in order: the environment variable
 * {@value #ENV}, the system property {@value #PROPERTY} (the build sets it to {@code ../shared/models}), or
 * {@code ../shared/models} above the working directory.
 *
 * <p>A missing model fails the test when the environment variable {@code CI} is {@code true}: CI must never
 * pass by skipping. Elsewhere the test is aborted (reported as skipped) with a message naming the file.
 * Stateless; thread-safe.
 */
public final class TestModels {
    /** The environment variable naming the models folder. */
    public static final String ENV = "LOCALLM_TEST_MODELS";
    /** The system property naming the models folder (the build sets it to ../shared/models). */
    public static final String PROPERTY = "locallm.test.models";

    /** A trained 260K-parameter llama GGUF without chat template. */
    public static final String STORIES = "stories260K.gguf";
    /** The same model with a ChatML chat template in its metadata. */
    public static final String STORIES_CHATML = "stories260K-chatml.gguf";
    /** The same weights as an ONNX decoder with KV cache: a folder with model.onnx, tokenizer and configs. */
    public static final String STORIES_ONNX = "stories260K-onnx";
    /**
     * A random-weight GPT-2 ONNX decoder in onnxruntime's legacy layout (int32 inputs, key and value stacked per
     * layer, {@code com.microsoft} contrib ops); its tokenizer is GPT-2's whole, its vocabulary the first 1,000 ids.
     */
    public static final String TINY_GPT2_ONNX = "tiny-random-gpt2-onnx";

    private TestModels() {
    }

    /** The folder the models are looked up in. */
    public static Path directory() {
        String env = System.getenv(ENV);
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        String property = System.getProperty(PROPERTY);
        if (property != null && !property.isBlank()) {
            return Path.of(property);
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolveSibling("shared").resolve("models");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        return Path.of("..", "shared", "models");
    }

    /**
     * The draft 2020-12 tests of the official JSON-Schema-Test-Suite, staged beside the models: the system
     * property {@code locallm.test.schema-suite}, or {@code ../shared/json-schema-test-suite}. Missing fails
     * under {@code CI=true}, as a model does.
     */
    public static Path schemaTestSuite() {
        String configured = System.getProperty("locallm.test.schema-suite");
        Path root = configured != null && !configured.isBlank() ? Path.of(configured)
                : directory().resolveSibling("json-schema-test-suite");
        Path dir = root.resolve("tests").resolve("draft2020-12");
        if (!Files.isDirectory(dir)) {
            missing("JSON-Schema-Test-Suite not found at " + dir.toAbsolutePath());
        }
        return dir;
    }

    /**
     * The model file (or model folder) with this name.
     *
     * @throws AssertionError when it is missing and {@code CI=true}
     */
    public static Path require(String fileName) {
        Path path = directory().resolve(fileName).toAbsolutePath().normalize();
        if (Files.isRegularFile(path) || Files.isDirectory(path)) {
            return path;
        }
        missing("Test model " + fileName + " not found in " + directory().toAbsolutePath() + " (set " + ENV
                + " to the folder that holds it)");
        throw new AssertionError("unreachable");
    }

    private static void missing(String message) {
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            throw new AssertionError(message + "; CI=true, so this fails instead of skipping");
        }
        Assumptions.abort(message);
    }
}
