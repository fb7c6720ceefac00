package dev.locallm.spring.boot;

import dev.locallm.ChatModel;
import dev.locallm.chat.ChatChunk;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.ChatResponse;
import dev.locallm.chat.FinishReason;
import dev.locallm.chat.GenerationOptions;
import dev.locallm.chat.ModelCapabilities;
import dev.locallm.error.GenerationCancelledException;
import dev.locallm.stream.ChatStream;
import dev.locallm.stream.StreamHandler;
import dev.locallm.tool.ToolCallDelta;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Iterator;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * A chat model that records each generation in Micrometer: requests by outcome and their time, prompt and
 * completion tokens, time to first token, decode speed, and how many generations run and wait for a slot. The
 * meters carry the model's name and the bean's as the tags {@code model} and {@code bean}. Thread-safe; closing it
 * closes the model it wraps.
 */
final class MeteredChatModel implements ChatModel {
    private final ChatModel model;
    private final Meters meters;

    MeteredChatModel(ChatModel model, String beanName, MeterRegistry registry) {
        this(model, new Meters(registry, model.capabilities(), beanName));
    }

    private MeteredChatModel(ChatModel model, Meters meters) {
        this.model = model;
        this.meters = meters;
    }

    /** Generations running or waiting for a slot now. */
    int inFlight() {
        return meters.inFlight.get();
    }

    @Override
    public ChatResponse chat(ChatRequest request) {
        Generation generation = meters.start();
        try {
            return generation.succeeded(model.chat(request));
        } catch (RuntimeException | Error e) {
            generation.failed(e);
            throw e;
        }
    }

    @Override
    public ChatStream chatStream(ChatRequest request) {
        return metered(() -> model.chatStream(request));
    }

    @Override
    public ChatStream completeStream(String prompt, GenerationOptions options) {
        return metered(() -> model.completeStream(prompt, options));
    }

    private ChatStream metered(Supplier<ChatStream> open) {
        Generation generation = meters.start();
        try {
            return new MeteredStream(open.get(), generation);
        } catch (RuntimeException | Error e) {
            generation.failed(e);
            throw e;
        }
    }

    @Override
    public void chatStream(ChatRequest request, StreamHandler handler) {
        Generation generation = meters.start();
        try {
            model.chatStream(request, new StreamHandler() {
                @Override
                public void onText(String text) {
                    handler.onText(text);
                }

                @Override
                public void onToolCallDelta(ToolCallDelta delta) {
                    handler.onToolCallDelta(delta);
                }

                @Override
                public void onComplete(ChatResponse response) {
                    generation.succeeded(response);
                    handler.onComplete(response);
                }

                @Override
                public void onError(Throwable error) {
                    generation.failed(error);
                    handler.onError(error);
                }
            });
        } catch (RuntimeException | Error e) {
            generation.failed(e);
            throw e;
        }
    }

    @Override
    public ChatModel with(GenerationOptions defaults) {
        return new MeteredChatModel(model.with(defaults), meters);
    }

    @Override
    public GenerationOptions defaultOptions() {
        return model.defaultOptions();
    }

    @Override
    public ModelCapabilities capabilities() {
        return model.capabilities();
    }

    @Override
    public void close() {
        model.close();
    }

    /** A stream that ends its generation when it is read to the end, its response taken, or it is closed. */
    private static final class MeteredStream implements ChatStream {
        private final ChatStream stream;
        private final Generation generation;

        MeteredStream(ChatStream stream, Generation generation) {
            this.stream = stream;
            this.generation = generation;
        }

        @Override
        public Iterator<ChatChunk> iterator() {
            Iterator<ChatChunk> chunks = stream.iterator();
            return new Iterator<>() {
                @Override
                public boolean hasNext() {
                    try {
                        return chunks.hasNext();
                    } catch (RuntimeException | Error e) {
                        generation.failed(e);
                        throw e;
                    }
                }

                @Override
                public ChatChunk next() {
                    ChatChunk chunk;
                    try {
                        chunk = chunks.next();
                    } catch (RuntimeException | Error e) {
                        generation.failed(e);
                        throw e;
                    }
                    chunk.response().ifPresent(generation::succeeded);
                    return chunk;
                }
            };
        }

        @Override
        public Stream<ChatChunk> stream() {
            return StreamSupport.stream(Spliterators.spliteratorUnknownSize(iterator(), Spliterator.ORDERED), false)
                    .onClose(this::close);
        }

        @Override
        public ChatResponse response() {
            try {
                return generation.succeeded(stream.response());
            } catch (RuntimeException | Error e) {
                generation.failed(e);
                throw e;
            }
        }

        @Override
        public void close() {
            try {
                stream.close();
            } finally {
                generation.cancelled();
            }
        }
    }

    /** One generation's meters, recorded once whichever way it ends. */
    private static final class Generation {
        private final Meters meters;
        private final long started = System.nanoTime();
        private final AtomicBoolean ended = new AtomicBoolean();

        Generation(Meters meters) {
            this.meters = meters;
        }

        ChatResponse succeeded(ChatResponse response) {
            if (end(response.finishReason() == FinishReason.CANCELLED ? "cancelled" : "success")) {
                meters.record(response);
            }
            return response;
        }

        void failed(Throwable error) {
            end(error instanceof GenerationCancelledException ? "cancelled" : "error");
        }

        void cancelled() {
            end("cancelled");
        }

        private boolean end(String outcome) {
            if (!ended.compareAndSet(false, true)) {
                return false;
            }
            meters.inFlight.decrementAndGet();
            meters.requests(outcome).record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
            return true;
        }
    }

    /** The meters of one model, shared by the models {@link #with} derives from it. */
    private static final class Meters {
        final AtomicInteger inFlight = new AtomicInteger();
        private final MeterRegistry registry;
        private final Tags tags;
        private final DistributionSummary promptTokens;
        private final DistributionSummary completionTokens;
        private final Timer timeToFirstToken;
        private final DistributionSummary decodeSpeed;

        Meters(MeterRegistry registry, ModelCapabilities capabilities, String beanName) {
            this.registry = registry;
            this.tags = Tags.of("model", capabilities.modelName(), "bean", beanName);
            int slots = Math.max(1, capabilities.parallelRequests());
            promptTokens = DistributionSummary.builder("locallm.tokens").tags(tags).tag("kind", "prompt")
                    .baseUnit("tokens").description("Prompt tokens per request").register(registry);
            completionTokens = DistributionSummary.builder("locallm.tokens").tags(tags).tag("kind", "completion")
                    .baseUnit("tokens").description("Generated tokens per request").register(registry);
            timeToFirstToken = Timer.builder("locallm.time.to.first.token").tags(tags)
                    .description("From request to first generated token").register(registry);
            decodeSpeed = DistributionSummary.builder("locallm.decode.tokens.per.second").tags(tags)
                    .description("Tokens generated per second after the first").register(registry);
            Gauge.builder("locallm.active.generations", inFlight, n -> Math.min(n.get(), slots)).tags(tags)
                    .description("Generations running").register(registry);
            Gauge.builder("locallm.queue.depth", inFlight, n -> Math.max(0, n.get() - slots)).tags(tags)
                    .description("Requests waiting for a generation slot").register(registry);
        }

        Generation start() {
            inFlight.incrementAndGet();
            return new Generation(this);
        }

        Timer requests(String outcome) {
            return Timer.builder("locallm.requests").tags(tags).tag("outcome", outcome)
                    .description("Generations by outcome, and their time").register(registry);
        }

        void record(ChatResponse response) {
            promptTokens.record(response.usage().promptTokens());
            completionTokens.record(response.usage().completionTokens());
            Duration firstToken = response.timings().timeToFirstToken();
            if (response.usage().completionTokens() > 0 && firstToken.compareTo(Duration.ZERO) > 0) {
                timeToFirstToken.record(firstToken);
            }
            if (response.timings().decodeTokensPerSecond() > 0) {
                decodeSpeed.record(response.timings().decodeTokensPerSecond());
            }
        }
    }
}
