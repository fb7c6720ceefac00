package dev.locallm.remote;

import dev.locallm.error.InvalidRequestException;
import dev.locallm.spi.BackendOptions;
import dev.locallm.spi.BackendProvider;
import dev.locallm.spi.ChatEngine;
import dev.locallm.spi.EmbeddingEngine;
import dev.locallm.spi.ModelLocation;
import java.util.Set;

/**
 * The remote backend: models on OpenAI-compatible servers, located as
 * {@code openai:http://127.0.0.1:8000/v1?model=NAME} (see {@link RemoteOptions} for the parameters), or spread
 * over several servers of the same model as {@code openai:http://a:8000/v1,http://b:8000/v1?model=NAME}
 * ({@link ServerPool}).
 * Stateless; discovered with {@link java.util.ServiceLoader}.
 */
public final class RemoteProvider implements BackendProvider {

    @Override
    public String name() {
        return "remote";
    }

    @Override
    public Set<String> schemes() {
        return Set.of("openai");
    }

    @Override
    public Class<RemoteOptions> optionsType() {
        return RemoteOptions.class;
    }

    @Override
    public RemoteOptions defaultOptions() {
        return RemoteOptions.builder().build();
    }

    @Override
    public ChatEngine openChat(ModelLocation location, BackendOptions options) {
        if (ServerPool.namesSeveral(location)) {
            return ServerPool.open(location, (RemoteOptions) options);
        }
        return new RemoteChatEngine(RemoteServer.open(location, (RemoteOptions) options));
    }

    @Override
    public EmbeddingEngine openEmbedding(ModelLocation location, BackendOptions options) {
        if (ServerPool.namesSeveral(location)) {
            throw new InvalidRequestException("Embeddings are computed on one server; name one instead of "
                    + location.path(), "model");
        }
        return new RemoteEmbeddingEngine(RemoteServer.open(location, (RemoteOptions) options));
    }
}
