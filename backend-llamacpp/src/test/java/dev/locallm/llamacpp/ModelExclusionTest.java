package dev.locallm.llamacpp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.locallm.error.GenerationCancelledException;
import dev.locallm.error.ModelBusyException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Turns among models: one model's leases together, another's after them, in the order they asked. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ModelExclusionTest {
    private final ModelExclusion exclusion = new ModelExclusion(true);
    private final Object chat = "chat";
    private final Object embeddings = "embeddings";

    @Test
    void leasesOfOneModelHoldTogetherAndAnotherModelWaitsForAllOfThem() throws Exception {
        // given two leases of the chat model
        ModelExclusion.Lease first = exclusion.enter(chat);
        ModelExclusion.Lease second = exclusion.enter(chat);
        List<String> order = new CopyOnWriteArrayList<>();
        // when the embedding model asks for its turn
        CompletableFuture<Void> embedding = CompletableFuture.runAsync(() -> {
            try (ModelExclusion.Lease turn = exclusion.enter(embeddings)) {
                order.add("embeddings");
            }
        });
        Thread.sleep(200);
        order.add("first closed");
        first.close();
        first.close();
        Thread.sleep(200);
        order.add("second closed");
        second.close();
        embedding.get(5, TimeUnit.SECONDS);
        // then it ran only once both were given back (the double close counted once)
        assertThat(order).containsExactly("first closed", "second closed", "embeddings");
    }

    @Test
    void aModelThatAsksLaterWaitsBehindAnotherModelThatAskedFirst() throws Exception {
        // given the chat model running and the embedding model waiting
        ModelExclusion.Lease running = exclusion.enter(chat);
        List<String> order = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> embedding = CompletableFuture.runAsync(() -> {
            try (ModelExclusion.Lease turn = exclusion.enter(embeddings)) {
                order.add("embeddings");
            }
        });
        Thread.sleep(200);
        // when another chat lease asks
        CompletableFuture<Void> laterChat = CompletableFuture.runAsync(() -> {
            try (ModelExclusion.Lease turn = exclusion.enter(chat)) {
                order.add("later chat");
            }
        });
        Thread.sleep(200);
        running.close();
        CompletableFuture.allOf(embedding, laterChat).get(5, TimeUnit.SECONDS);
        // then the embedding model, which asked first, went first: the chat model cannot starve it
        assertThat(order).containsExactly("embeddings", "later chat");
    }

    @Test
    void aWaitThatLastsTooLongIsABusyModelNotAHang() {
        ModelExclusion.Lease running = exclusion.enter(chat);

        assertThatThrownBy(() -> exclusion.enter(embeddings, TimeUnit.MILLISECONDS.toNanos(200)))
                .isInstanceOf(ModelBusyException.class).hasMessageContaining("one model at a time");
        running.close();
        exclusion.enter(embeddings).close();
    }

    @Test
    void anInterruptedWaitIsACancellationAndLeavesTheQueue() throws Exception {
        ModelExclusion.Lease running = exclusion.enter(chat);
        CompletableFuture<Throwable> waiter = new CompletableFuture<>();
        Thread thread = new Thread(() -> {
            try {
                exclusion.enter(embeddings).close();
                waiter.complete(null);
            } catch (RuntimeException e) {
                waiter.complete(e);
            }
        });
        thread.start();
        Thread.sleep(200);
        thread.interrupt();

        assertThat(waiter.get(5, TimeUnit.SECONDS)).isInstanceOf(GenerationCancelledException.class);
        running.close();
        exclusion.enter(chat).close();
        exclusion.enter(embeddings).close();
    }

    @Test
    void withoutExclusionEveryModelRunsAtOnce() {
        ModelExclusion none = new ModelExclusion(false);
        ModelExclusion.Lease running = none.enter(chat);

        none.enter(embeddings, 0).close();
        running.close();
    }
}
