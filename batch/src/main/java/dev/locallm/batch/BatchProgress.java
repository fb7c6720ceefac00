package dev.locallm.batch;

import java.time.Duration;
import java.util.Optional;

/**
 * Where a {@link BatchJob} stands: counts of requests and tokens, and the time this run has taken. Immutable.
 *
 * @param total the requests in the input (non-blank lines)
 * @param skipped requests with a result in the output from an earlier run, not sent again
 * @param succeeded requests answered with status 200 in this run
 * @param failed requests that became error lines in this run (a malformed line, or a request that failed)
 * @param duplicates lines whose {@code custom_id} an earlier line already used, not sent
 * @param promptTokens prompt tokens of the requests answered in this run
 * @param completionTokens tokens generated in this run
 * @param elapsed the time since this run started
 */
public record BatchProgress(long total, long skipped, long succeeded, long failed, long duplicates,
        long promptTokens, long completionTokens, Duration elapsed) {

    /** Requests with a result line, from this run or an earlier one. */
    public long done() {
        return skipped + succeeded + failed;
    }

    /**
     * Requests still to be answered; after a cancelled run, lines not read yet count as left even when an earlier
     * run answered them.
     */
    public long remaining() {
        return Math.max(0, total - done() - duplicates);
    }

    /** Tokens generated per second in this run; 0 before the first answer. */
    public double tokensPerSecond() {
        double seconds = elapsed.toNanos() / 1e9;
        return seconds > 0 ? completionTokens / seconds : 0;
    }

    /** The time left at this run's pace so far; empty before the first result of this run. */
    public Optional<Duration> eta() {
        long finished = succeeded + failed;
        return finished == 0 ? Optional.empty()
                : Optional.of(Duration.ofNanos((long) ((double) elapsed.toNanos() / finished * remaining())));
    }
}
