package dev.locallm;

import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.ChatResponse;
import dev.locallm.error.ContextLengthExceededException;
import dev.locallm.error.StructuredOutputException;
import java.util.ArrayList;
import java.util.List;

/**
 * The attempts of one reply that is checked before anyone sees it (a blocking call, or a stream read only for its
 * response): a reply that fails an assertion the grammar left to validation is sampled again
 * ({@link StructuredOutput#RESAMPLES} times), one that fails where the engine enforces nothing is re-asked
 * ({@link dev.locallm.spi.ChatEngine#repairAttempts()} times). Not thread-safe: one per reply.
 */
final class ReplyAttempts {
    private int repairs;
    private int resamples;
    private final List<String> texts = new ArrayList<>();

    ReplyAttempts(int repairs) {
        this.repairs = repairs;
    }

    /**
     * The request of the next attempt after {@code response} to {@code attempt} failed its check, or
     * {@code null} when none is left.
     *
     * @param resolved {@code attempt} with the model's default options under its own
     */
    ChatRequest next(ChatRequest attempt, ChatRequest resolved, ChatResponse response,
                     StructuredOutputException failure) {
        texts.add(response.text());
        if (!response.validatedAssertions().isEmpty() && resamples < StructuredOutput.RESAMPLES) {
            return StructuredOutput.resampleRequest(resolved, ++resamples);
        }
        if (repairs > 0) {
            repairs--;
            return StructuredOutput.repairRequest(attempt, response, failure);
        }
        return null;
    }

    /** The accepted reply, saying how many attempts it took. */
    ChatResponse accepted(ChatResponse response) {
        return texts.isEmpty() ? response : response.toBuilder().attempts(texts.size() + 1).build();
    }

    /**
     * The failure of the last attempt when the next one could not run because the conversation, with the failed
     * reply and the request to correct it, no longer fits the context: that failure is the root cause, the
     * overflow is attached to it.
     */
    StructuredOutputException notAskedAgain(StructuredOutputException failure,
            ContextLengthExceededException overflow) {
        StructuredOutputException root = exhausted(failure);
        root.addSuppressed(overflow);
        return root;
    }

    /** The failure of the last attempt, with every attempt's text. */
    StructuredOutputException exhausted(StructuredOutputException failure) {
        return texts.size() == 1 ? failure : failure.afterAttempts(texts);
    }
}
