package dev.locallm.chat;

import java.time.Duration;
import java.util.Objects;

/**
 * How long one generation took, measured by LocaLLM around the backend: the clock is read when the call starts,
 * at every generated token, and at the end. A remote server that measures its own speed (llama-server's
 * {@code timings}) is also reported as it said ({@link #reportedPromptTokensPerSecond()},
 * {@link #reportedDecodeTokensPerSecond()}): tokens that arrive in bursts make the client's clock say little about
 * the server. Immutable and thread-safe.
 */
public final class Timings {
    /** No time measured. */
    public static final Timings NONE = builder().build();

    private final Duration timeToFirstToken;
    private final Duration total;
    private final double decodeTokensPerSecond;
    private final double reportedPromptTokensPerSecond;
    private final double reportedDecodeTokensPerSecond;

    private Timings(Builder b) {
        this.timeToFirstToken = b.timeToFirstToken;
        this.total = b.total;
        this.decodeTokensPerSecond = b.decodeTokensPerSecond;
        this.reportedPromptTokensPerSecond = b.reportedPromptTokensPerSecond;
        this.reportedDecodeTokensPerSecond = b.reportedDecodeTokensPerSecond;
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

    /** Prompt tokens per second as the server measured them; 0 when it reported none. */
    public double reportedPromptTokensPerSecond() {
        return reportedPromptTokensPerSecond;
    }

    /** Generated tokens per second as the server measured them; 0 when it reported none. */
    public double reportedDecodeTokensPerSecond() {
        return reportedDecodeTokensPerSecond;
    }

    /** Whether the server reported its own speed. */
    public boolean hasReportedSpeed() {
        return reportedPromptTokensPerSecond > 0 || reportedDecodeTokensPerSecond > 0;
    }

    /** These timings with the server's own speed, as another {@code Timings} reported it. */
    public Timings withReportedSpeed(Timings reported) {
        return toBuilder().reportedPromptTokensPerSecond(reported.reportedPromptTokensPerSecond)
                .reportedDecodeTokensPerSecond(reported.reportedDecodeTokensPerSecond).build();
    }

    /** A builder holding these timings. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.timeToFirstToken = timeToFirstToken;
        b.total = total;
        b.decodeTokensPerSecond = decodeTokensPerSecond;
        b.reportedPromptTokensPerSecond = reportedPromptTokensPerSecond;
        b.reportedDecodeTokensPerSecond = reportedDecodeTokensPerSecond;
        return b;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Timings t && timeToFirstToken.equals(t.timeToFirstToken) && total.equals(t.total)
                && Double.compare(decodeTokensPerSecond, t.decodeTokensPerSecond) == 0
                && Double.compare(reportedPromptTokensPerSecond, t.reportedPromptTokensPerSecond) == 0
                && Double.compare(reportedDecodeTokensPerSecond, t.reportedDecodeTokensPerSecond) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(timeToFirstToken, total, decodeTokensPerSecond, reportedPromptTokensPerSecond,
                reportedDecodeTokensPerSecond);
    }

    @Override
    public String toString() {
        return "Timings[first token " + timeToFirstToken.toMillis() + " ms, total " + total.toMillis() + " ms, "
                + String.format(java.util.Locale.ROOT, "%.1f", decodeTokensPerSecond) + " tokens/s"
                + (hasReportedSpeed() ? String.format(java.util.Locale.ROOT, "; server: prompt %.1f, decode %.1f "
                + "tokens/s", reportedPromptTokensPerSecond, reportedDecodeTokensPerSecond) : "") + "]";
    }

    /** Builds {@link Timings}. Not thread-safe. */
    public static final class Builder {
        private Duration timeToFirstToken = Duration.ZERO;
        private Duration total = Duration.ZERO;
        private double decodeTokensPerSecond;
        private double reportedPromptTokensPerSecond;
        private double reportedDecodeTokensPerSecond;

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
            this.decodeTokensPerSecond = rate(rate, "decodeTokensPerSecond");
            return this;
        }

        /** Prompt tokens per second as the server measured them. */
        public Builder reportedPromptTokensPerSecond(double rate) {
            this.reportedPromptTokensPerSecond = rate(rate, "reportedPromptTokensPerSecond");
            return this;
        }

        /** Generated tokens per second as the server measured them. */
        public Builder reportedDecodeTokensPerSecond(double rate) {
            this.reportedDecodeTokensPerSecond = rate(rate, "reportedDecodeTokensPerSecond");
            return this;
        }

        private static double rate(double rate, String name) {
            if (!(rate >= 0) || Double.isInfinite(rate)) {
                throw new IllegalArgumentException(name + " must be finite and >= 0, was " + rate);
            }
            return rate;
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
