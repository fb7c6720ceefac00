package dev.locallm.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.locallm.ChatModel;
import dev.locallm.chat.ChatChunk;
import dev.locallm.chat.ChatMessage;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.ChatResponse;
import dev.locallm.chat.FinishReason;
import dev.locallm.chat.GenerationOptions;
import dev.locallm.chat.ModelCapabilities;
import dev.locallm.chat.UserMessage;
import dev.locallm.error.ContextLengthExceededException;
import dev.locallm.error.GenerationCancelledException;
import dev.locallm.error.InvalidRequestException;
import dev.locallm.stream.ChatStream;
import dev.locallm.stream.StreamHandler;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The behaviour every {@link ChatModel} must show, whatever its backend. A backend's test extends this class
 * and says how to open a model; the model must support at least two parallel requests and a context of at
 * least 256 tokens, and must be loaded so that temperature 0 with a fixed seed is deterministic.
 *
 * <pre>{@code
 * class LlamaCppContractTest extends ChatModelContract {
 *     protected ChatModel openModel() {
 *         return LocalLm.chatModel("gguf:" + TestModels.require(TestModels.STORIES_CHATML) + "?parallel=4");
 *     }
 * }
 * }</pre>
 *
 * <p>Tests assert on structure (finish reasons, token counts, equality between runs), not on the wording of
 * a tiny model's output. Every test has a timeout: a hang is a failure.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
public abstract class ChatModelContract {

    /** A prompt the model continues for a long time. */
    protected static final String PROMPT = "Tell me a story about a little dog.";

    /** The model under test, opened once for the class by {@link #openModel()}. */
    protected ChatModel model;

    /** Opens a new model on each call (two models may share weights). */
    /** Opens the model under test; the suite closes it. */
    protected abstract ChatModel openModel();

    @BeforeAll
    void openSharedModel() {
        model = openModel();
    }

    @AfterAll
    void closeSharedModel() {
        if (model != null) {
            model.close();
        }
    }

    /** A deterministic request: temperature 0, fixed seed, bounded length. */
    protected static ChatRequest greedy(String prompt, int maxTokens) {
        return ChatRequest.builder().user(prompt).options(o -> o.temperature(0).seed(42).maxTokens(maxTokens)).build();
    }

    @Test
    void repliesWithTextAndUsage() {
        // when
        ChatResponse response = model.chat(greedy(PROMPT, 24));
        // then
        assertThat(response.text()).isNotBlank();
        assertThat(response.usage().promptTokens()).isPositive();
        assertThat(response.usage().completionTokens()).isBetween(1, 24);
        assertThat(response.finishReason()).isIn(FinishReason.STOP, FinishReason.LENGTH);
        assertThat(response.timings().total()).isPositive();
        assertThat(response.message().toolCalls()).isEmpty();
    }

    @Test
    void chatWithAStringReturnsText() {
        assertThat(model.with(o -> o.maxTokens(8).temperature(0)).chat("Hello")).isNotEmpty();
    }

    @Test
    void streamingEqualsNonStreamingAtTemperatureZero() {
        // given
        ChatRequest request = greedy(PROMPT, 40);
        // when
        ChatResponse blocking = model.chat(request);
        StringBuilder streamed = new StringBuilder();
        ChatResponse last;
        try (ChatStream stream = model.chatStream(request)) {
            for (ChatChunk chunk : stream) {
                streamed.append(chunk.text());
            }
            last = stream.response();
        }
        ChatResponse again = model.chat(request);
        // then
        assertThat(streamed.toString()).isEqualTo(blocking.text()).isEqualTo(last.text()).isEqualTo(again.text());
        assertThat(last.usage()).isEqualTo(blocking.usage());
        assertThat(last.finishReason()).isEqualTo(blocking.finishReason());
    }

    @Test
    void pushStreamingDeliversTextThenExactlyOneCompletion() {
        // given
        var recorder = new RecordingStreamHandler();
        // when
        model.chatStream(greedy(PROMPT, 16), recorder);
        // then
        assertThat(recorder.textEvents()).isPositive();
        assertThat(recorder.text()).isEqualTo(recorder.completion().text()).isNotEmpty();
        assertThat(recorder.completion().usage().completionTokens()).isPositive();
        recorder.assertExhausted();
    }

    @Test
    void maxTokensEndsWithLength() {
        // when
        ChatResponse response = model.chat(greedy(PROMPT, 5));
        // then: a model that ends its turn within 5 tokens would say STOP, with fewer tokens
        if (response.finishReason() == FinishReason.LENGTH) {
            assertThat(response.usage().completionTokens()).isEqualTo(5);
        } else {
            assertThat(response.finishReason()).isEqualTo(FinishReason.STOP);
            assertThat(response.usage().completionTokens()).isLessThanOrEqualTo(5);
        }
        assertThat(model.chat(greedy(PROMPT, 1)).usage().completionTokens()).isEqualTo(1);
    }

    @Test
    void stopSequenceCutsTheTextAndIsNotReturned() {
        // given: a stop sequence taken from the middle of what the model says
        String reference = model.chat(greedy(PROMPT, 48)).text();
        int at = middleWordStart(reference);
        String stop = reference.substring(at, Math.min(reference.length(), at + 4));
        // when
        ChatResponse cut = model.chat(greedy(PROMPT, 48).toBuilder().options(o -> o.stop(stop)).build());
        // then
        assertThat(cut.finishReason()).isEqualTo(FinishReason.STOP);
        assertThat(cut.text()).isEqualTo(reference.substring(0, reference.indexOf(stop)));
        assertThat(cut.text()).doesNotContain(stop);
        var recorder = new RecordingStreamHandler();
        model.chatStream(greedy(PROMPT, 48).toBuilder().options(o -> o.stop(stop)).build(), recorder);
        assertThat(recorder.text()).isEqualTo(cut.text());
        recorder.assertExhausted();
    }

    private static int middleWordStart(String text) {
        assertThat(text.length()).as("reference text length").isGreaterThan(20);
        int at = text.indexOf(' ', text.length() / 2);
        return at > 0 && at + 4 <= text.length() ? at : text.length() / 2;
    }

    @Test
    void closingAStreamMidwayCancelsItAndFreesTheSlot() {
        // given
        ChatStream stream = model.chatStream(greedy(PROMPT, 200));
        Iterator<ChatChunk> chunks = stream.iterator();
        int read = 0;
        while (read < 3 && chunks.hasNext()) {
            chunks.next();
            read++;
        }
        // when
        stream.close();
        stream.close();
        // then
        assertThat(chunks.hasNext()).isFalse();
        assertThatThrownBy(stream::response).isInstanceOf(GenerationCancelledException.class);
        for (int i = 0; i < capabilities().parallelRequests() + 1; i++) {
            assertThat(model.chat(greedy(PROMPT, 4)).usage().completionTokens()).isPositive();
        }
    }

    @Test
    void closingAnUnreadStreamFreesTheSlot() {
        List<ChatStream> abandoned = new ArrayList<>();
        for (int i = 0; i < capabilities().parallelRequests() * 2; i++) {
            ChatStream s = model.chatStream(greedy(PROMPT, 200));
            s.close();
            abandoned.add(s);
        }
        assertThat(abandoned).allSatisfy(s -> assertThat(s.iterator().hasNext()).isFalse());
        assertThat(model.chat(greedy(PROMPT, 4)).text()).isNotEmpty();
    }

    @Test
    void interruptingTheConsumerCancelsTheGeneration() throws Exception {
        // given
        var result = new CompletableFuture<List<ChatChunk>>();
        Thread consumer = new Thread(() -> {
            List<ChatChunk> seen = new ArrayList<>();
            try (ChatStream stream = model.chatStream(greedy(PROMPT, 400))) {
                for (ChatChunk chunk : stream) {
                    seen.add(chunk);
                    if (seen.size() == 2) {
                        Thread.currentThread().interrupt();
                    }
                }
                result.complete(seen);
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
            }
        });
        // when
        consumer.start();
        List<ChatChunk> seen = result.get(60, TimeUnit.SECONDS);
        consumer.join();
        // then
        ChatChunk last = seen.get(seen.size() - 1);
        assertThat(last.isLast()).isTrue();
        assertThat(last.response().orElseThrow().finishReason()).isEqualTo(FinishReason.CANCELLED);
        assertThat(seen.size()).isLessThan(400);
    }

    @Test
    void eightConcurrentCallersAllComplete() throws Exception {
        // given
        ChatResponse reference = model.chat(greedy(PROMPT, 32));
        ExecutorService pool = Executors.newFixedThreadPool(8);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<ChatResponse>> futures = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                int caller = i;
                futures.add(pool.submit(() -> {
                    start.await();
                    if (caller % 2 == 0) {
                        return model.chat(greedy(PROMPT, 32));
                    }
                    try (ChatStream stream = model.chatStream(greedy(PROMPT, 32))) {
                        return stream.response();
                    }
                }));
            }
            // when
            start.countDown();
            // then: every caller gets the same complete answer as the sequential reference
            for (Future<ChatResponse> f : futures) {
                ChatResponse r = f.get(90, TimeUnit.SECONDS);
                assertThat(r.text()).isEqualTo(reference.text());
                assertThat(r.usage()).isEqualTo(reference.usage());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void closingTheModelDuringGenerationCancelsSafely() throws Exception {
        // given a second model with a push stream running on another thread and a pull stream on this one
        ChatModel second = openModel();
        var pushed = new RecordingStreamHandler();
        CountDownLatch firstText = new CountDownLatch(1);
        var pushing = CompletableFuture.runAsync(() -> second.chatStream(greedy(PROMPT, 200), new StreamHandler() {
            @Override
            public void onText(String text) {
                pushed.onText(text);
                firstText.countDown();
            }

            @Override
            public void onComplete(ChatResponse response) {
                pushed.onComplete(response);
            }

            @Override
            public void onError(Throwable error) {
                pushed.onError(error);
            }
        }));
        ChatStream stream = second.chatStream(greedy(PROMPT, 200));
        Iterator<ChatChunk> chunks = stream.iterator();
        assertThat(chunks.hasNext()).isTrue();
        chunks.next();
        assertThat(firstText.await(60, TimeUnit.SECONDS)).as("push stream started").isTrue();
        // when
        second.close();
        second.close();
        // then both generations end as cancelled
        List<ChatChunk> rest = new ArrayList<>();
        chunks.forEachRemaining(rest::add);
        assertThat(rest).isNotEmpty();
        assertThat(rest.get(rest.size() - 1).response().orElseThrow().finishReason()).isEqualTo(FinishReason.CANCELLED);
        pushing.get(60, TimeUnit.SECONDS);
        pushed.assertExhausted();
        assertThat(pushed.completion().finishReason()).isIn(FinishReason.CANCELLED, FinishReason.LENGTH);
        assertThatThrownBy(() -> second.chat("again")).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> second.chatStream(greedy(PROMPT, 4))).isInstanceOf(IllegalStateException.class);
        // and the other model, which may share the weights, still works
        assertThat(model.chat(greedy(PROMPT, 4)).text()).isNotEmpty();
    }

    /**
     * The close races the blocking call on purpose: a caller cannot know where another thread's call is. Whichever
     * wins, the call ends in one of three documented ways, never a hang, a crash or another error.
     */
    @Test
    void closingTheModelDuringABlockingCallThrowsCancelled() throws Exception {
        // given
        ChatModel second = openModel();
        ChatStream probe = second.chatStream(greedy(PROMPT, 2));
        probe.response();
        CountDownLatch calling = new CountDownLatch(1);
        var blocking = CompletableFuture.supplyAsync(() -> {
            calling.countDown();
            return second.chat(greedy(PROMPT, 200));
        });
        assertThat(calling.await(60, TimeUnit.SECONDS)).isTrue();
        // when
        second.close();
        // then: it either finished first, was cancelled, or found the model closed; never anything else
        try {
            assertThat(blocking.get(60, TimeUnit.SECONDS).finishReason()).isIn(FinishReason.LENGTH, FinishReason.STOP);
        } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOfAny(GenerationCancelledException.class, IllegalStateException.class);
        }
    }

    @Test
    void invalidRequestsAreRejectedBeforeGeneration() {
        assertThatThrownBy(() -> model.chat(ChatRequest.builder().build()))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("messages");
        assertThatThrownBy(() -> model.chat(ChatRequest.builder().user("x").options(o -> o.maxTokens(-1)).build()))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("maxTokens");
        assertThatThrownBy(() -> model.chat(ChatRequest.builder().user("x")
                .options(o -> o.temperature(Double.NaN)).build()))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("temperature");
        assertThatThrownBy(() -> model.with(GenerationOptions.builder().topP(2).build()))
                .isInstanceOf(InvalidRequestException.class);
        assertThat(model.chat(greedy(PROMPT, 2)).text()).isNotEmpty();
    }

    @Test
    void promptLongerThanTheContextIsRejected() {
        // given
        int context = capabilities().contextLength();
        String longText = "the dog ran to the park and ".repeat(context);
        List<ChatMessage> messages = List.of(UserMessage.of(longText));
        if (!detectsContextOverflow()) {
            assertThat(model.chat(ChatRequest.builder().messages(messages).options(o -> o.maxTokens(4)).build())
                    .text()).as("a backend that cannot tell answers from a truncated prompt").isNotNull();
            return;
        }
        // when / then
        assertThatThrownBy(() -> model.chat(ChatRequest.of(messages.toArray(ChatMessage[]::new))))
                .isInstanceOfSatisfying(ContextLengthExceededException.class, e -> {
                    assertThat(e.promptTokens()).isGreaterThan(context);
                    assertThat(e.contextLength()).isEqualTo(context);
                });
        assertThatThrownBy(() -> model.chat(greedy(PROMPT, context)))
                .isInstanceOf(ContextLengthExceededException.class)
                .hasMessageContaining(context + " tokens");
        assertThat(model.chat(greedy(PROMPT, 2)).text()).isNotEmpty();
    }

    @Test
    void capabilitiesDescribeTheModel() {
        ModelCapabilities c = capabilities();
        assertThat(c.modelName()).isNotBlank();
        assertThat(c.backend()).isNotBlank();
        assertThat(c.contextLength()).isGreaterThanOrEqualTo(256);
        assertThat(c.parallelRequests()).isGreaterThanOrEqualTo(2);
        assertThat(c.streaming()).isTrue();
    }

    /**
     * Whether the backend can tell that a prompt does not fit the context and refuse it; a backend over a server
     * that silently truncates long prompts (Ollama) cannot, and then the long prompt must simply be answered.
     */
    protected boolean detectsContextOverflow() {
        return true;
    }

    /** The capabilities of the model under test. */
    protected ModelCapabilities capabilities() {
        return model.capabilities();
    }
}
