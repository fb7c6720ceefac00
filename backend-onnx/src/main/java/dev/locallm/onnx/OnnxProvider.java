package dev.locallm.onnx;

import dev.locallm.spi.BackendOptions;
import dev.locallm.spi.BackendProvider;
import dev.locallm.spi.ChatEngine;
import dev.locallm.spi.EmbeddingEngine;
import dev.locallm.spi.ModelLocation;
import java.nio.file.Path;
import java.util.Set;

/**
 * The ONNX Runtime backend: runs decoder-only ONNX models in-process. Handles {@code onnx:} URIs naming a model
 * folder ({@code onnx:/models/qwen2.5-0.5b-onnx?threads=4}); query parameters set {@link OnnxOptions} (see there).
 * Found by {@link java.util.ServiceLoader}; stateless and thread-safe.
 *
 * <pre>{@code
 * try (ChatModel model = LocalLm.chatModel("onnx:/models/stories260K-onnx")) {
 *     System.out.println(model.chat("Once upon a time"));
 * }
 * }</pre>
 */
public final class OnnxProvider implements BackendProvider {

    /** For {@link java.util.ServiceLoader}. */
    public OnnxProvider() {
    }

    @Override
    public String name() {
        return "onnxruntime";
    }

    @Override
    public Set<String> schemes() {
        return Set.of("onnx");
    }

    @Override
    public Class<OnnxOptions> optionsType() {
        return OnnxOptions.class;
    }

    @Override
    public OnnxOptions defaultOptions() {
        return OnnxOptions.defaults();
    }

    @Override
    public ChatEngine openChat(ModelLocation location, BackendOptions options) {
        return OnnxChatEngine.open(path(location), options(location, options));
    }

    /** An encoder folder (such as all-MiniLM-L6-v2's): mean-pooled, normalised embeddings. */
    @Override
    public EmbeddingEngine openEmbedding(ModelLocation location, BackendOptions options) {
        return OnnxEmbeddingEngine.open(path(location), options(location, options));
    }

    private static OnnxOptions options(ModelLocation location, BackendOptions options) {
        OnnxOptions base = (OnnxOptions) options;
        return location.parameters().isEmpty() ? base : base.toBuilder().parameters(location.parameters()).build();
    }

    private static Path path(ModelLocation location) {
        String p = location.path();
        if (p.startsWith("~/")) {
            p = System.getProperty("user.home") + p.substring(1);
        }
        return Path.of(p);
    }
}
