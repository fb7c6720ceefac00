package dev.locallm.spi;

import dev.locallm.schema.SchemaAssertion;
import java.util.List;

/**
 * One running generation inside a backend.
 *
 * <p>Threading: {@link #next()} and {@link #close()} are called by one consumer thread at a time, never
 * concurrently. {@link #cancel()} may be called from any thread at any time, also while {@link #next()}
 * blocks; it must be cheap and must not block.
 */
public interface Generation extends AutoCloseable {

    /** Tokens of the rendered prompt. */
    int promptTokens();

    /**
     * Blocks until the next event. After a {@link GenerationEvent.Finished} it is not called again. Once
     * {@link #cancel()} was called, returns {@code Finished(CANCELLED)} soon (typically after at most one
     * more token).
     *
     * @throws dev.locallm.error.LocalLmException when the backend fails
     */
    GenerationEvent next();

    /**
     * The assertions of the request's schemas (response format, or a forced call's parameters) that this
     * generation's constraint does not enforce: core validates the output after generation and samples it again
     * when it fails. Empty (the default) when the engine enforces what it accepted, or leaves the check to
     * re-asking ({@link ChatEngine#repairAttempts()}).
     */
    default List<SchemaAssertion> unenforcedAssertions() {
        return List.of();
    }

    /** Asks the generation to stop soon. Idempotent, thread-safe and non-blocking. */
    void cancel();

    /** Releases the generation's resources (its slot), cancelling it first if it has not finished. */
    @Override
    void close();
}
