package dev.locallm.chat;

import java.time.Duration;
import java.util.Objects;

/**
 * How long one generation took, measured by LocaLLM around the backend: the clock is read when the call starts,
 * at every generated token, and at the end. Immutable and thread-safe.
 */
public final class Timings {
    /** No time measured. */
    public static final Timings NONE = builder().build();

    private final Duration timeToFirstToken;
    private final Duration total;
    private final double decodeTokensPerSecond;

    private Timings(Builder b) {
        this.timeToFirstToken = b.timeToFirstToken;
        this.total = b.total;
        this.decodeTokensPerSecond = b.decodeTokensPerSecond;
    }

    /** A builder with every time zero. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * From the call to the first generated token (queueing and prompt processing included); {@link Duration#ZERO}
     * when no token was generated.
     */
    public Duration timeToFirstToken() {
        return timeToFirstToken;
    }

    /** From the call to the end of the generation. */
    public Duration total() {
        return total;
    }

    /** Tokens generated per second from the first token to the last; 0 when fewer than two were. */
    public double decodeTokensPerSecond() {
        return decodeTokensPerSecond;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Timings t && timeToFirstToken.equals(t.timeToFirstToken) && total.equals(t.total)
                && Double.compare(decodeTokensPerSecond, t.decodeTokensPerSecond) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(timeToFirstToken, total, decodeTokensPerSecond);
    }

    @Override
    public String toString() {
        return "Timings[first token " + timeToFirstToken.toMillis() + " ms, total " + total.toMillis() + " ms, "
                + String.format(java.util.Locale.ROOT, "%.1f", decodeTokensPerSecond) + " tokens/s]";
    }

    /** Builds {@link Timings}. Not thread-safe. */
    public static final class Builder {
        private Duration timeToFirstToken = Duration.ZERO;
        private Duration total = Duration.ZERO;
        private double decodeTokensPerSecond;

        private Builder() {
        }

        /** From the call to the first token. */
        public Builder timeToFirstToken(Duration d) {
            this.timeToFirstToken = nonNegative(d, "timeToFirstToken");
            return this;
        }

        /** From the call to the end. */
        public Builder total(Duration d) {
            this.total = nonNegative(d, "total");
            return this;
        }

        /** Tokens per second from the first token to the last. */
        public Builder decodeTokensPerSecond(double rate) {
            if (!(rate >= 0) || Double.isInfinite(rate)) {
                throw new IllegalArgumentException("decodeTokensPerSecond must be finite and >= 0, was " + rate);
            }
            this.decodeTokensPerSecond = rate;
            return this;
        }

        private static Duration nonNegative(Duration d, String name) {
            Objects.requireNonNull(d, name);
            if (d.isNegative()) {
                throw new IllegalArgumentException(name + " must not be negative, was " + d);
            }
            return d;
        }

        /** The timings. */
        public Timings build() {
            return new Timings(this);
        }
    }
}
