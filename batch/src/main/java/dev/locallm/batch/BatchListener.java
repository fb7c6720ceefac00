package dev.locallm.batch;

/**
 * Follows a running {@link BatchJob}. Called from the job's threads, possibly from several at once: an
 * implementation must be thread-safe and quick (it delays the result it is told about). Every method does nothing
 * by default.
 */
public interface BatchListener {

    /** The job has read the results already in the output and is about to send the first request. */
    default void started(BatchProgress progress) {
    }

    /** A result line, success or error, has been written; {@code progress} counts it. */
    default void progressed(BatchProgress progress) {
    }

    /**
     * A request carries a {@code custom_id} that an earlier line of the input already used; it is not sent and
     * writes no result (the output keeps one line per {@code custom_id}).
     *
     * @param line the line of the input, counted from 1
     */
    default void duplicate(String customId, long line) {
    }
}
