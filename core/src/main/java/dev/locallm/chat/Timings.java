package dev.locallm.chat;

import java.time.Duration;
import java.util.Objects;

/**
 * How long one generation took, measured by LocaLLM around the backend. Immutable.
 *
 * @param timeToFirstToken      from the call to the first generated token (queueing and prompt processing
 *                              included); {@link Duration#ZERO} when no token was generated
 * @param total                 from the call to the end of the generation
 * @param decodeTokensPerSecond tokens generated per second after the first one; 0 when fewer than two were.
 *                              The clock is read at each of the first 16 tokens and then at every 16th, so on
 *                              longer replies the rate is measured up to the last reading
 */
public record Timings(Duration timeToFirstToken, Duration total, double decodeTokensPerSecond) {

    public Timings {
        Objects.requireNonNull(timeToFirstToken, "timeToFirstToken");
        Objects.requireNonNull(total, "total");
    }

    public static final Timings NONE = new Timings(Duration.ZERO, Duration.ZERO, 0);
}
