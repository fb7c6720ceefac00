package dev.locallm.springai;

import dev.locallm.LocalLm;
import dev.locallm.chat.ChatChunk;
import dev.locallm.chat.ChatRequest;
import dev.locallm.stream.ChatStream;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.contextpropagation.ObservationThreadLocalAccessor;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.MessageAggregator;
import org.springframework.ai.chat.observation.ChatModelObservationContext;
import org.springframework.ai.chat.observation.ChatModelObservationConvention;
import org.springframework.ai.chat.observation.ChatModelObservationDocumentation;
import org.springframework.ai.chat.observation.DefaultChatModelObservationConvention;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.chat.prompt.Prompt;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;

/**
 * A LocaLLM model as a Spring AI {@link ChatModel}: in-process llama.cpp (or any LocaLLM backend) behind
 * {@code ChatClient}, with tool calls for its tool loop and native structured output
 * ({@code ChatClient}'s {@code ENABLE_NATIVE_STRUCTURED_OUTPUT}, or {@link LocalLmChatOptions#getOutputSchema()})
 * enforced while the model generates.
 *
 * <p>Like Spring AI's own models in 2.0, it returns tool calls and leaves running them to {@code ChatClient}'s
 * tool-calling advisor. A stream emits the text as it comes, then one last response with the complete tool calls,
 * the finish reason and the token usage; cancelling the subscription stops the generation.
 *
 * <p>Thread-safe: as many calls run at once as the LocaLLM model has slots. Built from a URI, it owns the model and
 * {@link #close()} closes it; built around a model, its owner closes it.
 */
public final class LocalLmSpringAiChatModel implements ChatModel, AutoCloseable {
    /** The provider name observations carry as {@code gen_ai.system}. */
    public static final String PROVIDER = "locallm";
    private static final ChatModelObservationConvention CONVENTION = new DefaultChatModelObservationConvention();

    private final dev.locallm.ChatModel model;
    private final boolean owned;
    private final LocalLmChatOptions defaults;
    private final ObservationRegistry observations;
    private final AtomicBoolean closed = new AtomicBoolean();

    private LocalLmSpringAiChatModel(dev.locallm.ChatModel model, boolean owned, Builder b) {
        this.model = model;
        this.owned = owned;
        this.defaults = b.defaults;
        this.observations = b.observations;
    }

    /** A builder: give a model URI or a loaded model. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Generates a reply to the prompt, its options merged over the defaults.
     *
     * @throws dev.locallm.error.InvalidRequestException for what the model cannot take (media, penalties, another
     *     model's name); other {@link dev.locallm.error.LocalLmException}s as the LocaLLM model throws them
     */
    @Override
    public ChatResponse call(Prompt prompt) {
        ChatModelObservationContext context = ChatModelObservationContext.builder().prompt(prompt)
                .provider(PROVIDER).build();
        return ChatModelObservationDocumentation.CHAT_MODEL_OPERATION.observation(null, CONVENTION, () -> context,
                observations).observe(() -> {
                    ChatResponse response = SpringAiMapping.toSpringAi(model.chat(request(prompt)), null, name());
                    context.setResponse(response);
                    return response;
                });
    }

    /** Streams the reply; see the class comment for what the responses carry. */
    @Override
    public Flux<ChatResponse> stream(Prompt prompt) {
        return Flux.deferContextual(reactorContext -> {
            ChatModelObservationContext context = ChatModelObservationContext.builder().prompt(prompt)
                    .provider(PROVIDER).streaming(true).build();
            Observation observation = ChatModelObservationDocumentation.CHAT_MODEL_OPERATION.observation(null,
                    CONVENTION, () -> context, observations);
            observation.parentObservation(reactorContext.getOrDefault(ObservationThreadLocalAccessor.KEY, null));
            observation.start();
            ChatRequest request;
            try {
                request = request(prompt);
            } catch (RuntimeException e) {
                observation.error(e);
                observation.stop();
                throw e;
            }
            Flux<ChatResponse> responses = Flux.using(() -> model.chatStream(request), this::responses,
                    ChatStream::close);
            return new MessageAggregator().aggregate(responses, context::setResponse)
                    .doOnComplete(observation::stop).doOnCancel(observation::stop).doOnError(e -> {
                        observation.error(e);
                        observation.stop();
                    });
        }).subscribeOn(Schedulers.boundedElastic());
    }

    private Flux<ChatResponse> responses(ChatStream stream) {
        return Flux.fromIterable(stream).filter(chunk -> chunk.isLast() || !chunk.text().isEmpty())
                .concatMap(chunk -> Flux.fromIterable(responses(chunk)));
    }

    private List<ChatResponse> responses(ChatChunk chunk) {
        if (!chunk.isLast()) {
            return List.of(SpringAiMapping.piece(chunk.text(), name()));
        }
        ChatResponse last = SpringAiMapping.toSpringAi(chunk.response().orElseThrow(), "", name());
        return chunk.text().isEmpty() ? List.of(last) : List.of(SpringAiMapping.piece(chunk.text(), name()), last);
    }

    private ChatRequest request(Prompt prompt) {
        ChatOptions options = prompt.getOptions() == null ? defaults : defaults.overriddenBy(prompt.getOptions());
        List<Message> messages = prompt.getInstructions();
        return SpringAiMapping.toLocalLm(messages, options, name());
    }

    private String name() {
        return model.capabilities().modelName();
    }

    /** The default options, as {@code ChatClient} starts each request from them. */
    @Override
    public LocalLmChatOptions getOptions() {
        return defaults;
    }

    /** The LocaLLM model behind this one. */
    public dev.locallm.ChatModel localLmModel() {
        return model;
    }

    /** Closes the LocaLLM model when this one loaded it from a URI; idempotent. */
    @Override
    public void close() {
        if (owned && closed.compareAndSet(false, true)) {
            model.close();
        }
    }

    /** Builds a {@link LocalLmSpringAiChatModel}. Not thread-safe. */
    public static final class Builder {
        private String modelUri;
        private dev.locallm.ChatModel model;
        private LocalLmChatOptions defaults = LocalLmChatOptions.builder().build();
        private ObservationRegistry observations = ObservationRegistry.NOOP;

        private Builder() {
        }

        /** Loads the model at this LocaLLM URI when built; closing the Spring AI model closes it. */
        public Builder modelUri(String uri) {
            this.modelUri = Objects.requireNonNull(uri, "uri");
            return this;
        }

        /** Wraps a LocaLLM model already loaded; its owner closes it. */
        public Builder chatModel(dev.locallm.ChatModel model) {
            this.model = Objects.requireNonNull(model, "model");
            return this;
        }

        /** Options for requests that leave them unset; none by default. */
        public Builder defaultOptions(LocalLmChatOptions options) {
            this.defaults = Objects.requireNonNull(options, "options");
            return this;
        }

        /**
         * Where each call and stream is observed as Spring AI's own models do ({@code gen_ai.client.operation},
         * with the prompt's options and the response's usage); none by default.
         */
        public Builder observationRegistry(ObservationRegistry registry) {
            this.observations = Objects.requireNonNull(registry, "registry");
            return this;
        }

        /**
         * The Spring AI model.
         *
         * @throws IllegalStateException unless exactly one of a URI and a model was given
         */
        public LocalLmSpringAiChatModel build() {
            if ((modelUri == null) == (model == null)) {
                throw new IllegalStateException("give either modelUri(...) or chatModel(...)");
            }
            return model != null ? new LocalLmSpringAiChatModel(model, false, this)
                    : new LocalLmSpringAiChatModel(LocalLm.chatModel(modelUri), true, this);
        }
    }
}
