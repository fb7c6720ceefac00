package dev.locallm.server;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * Waiting for a state instead of sleeping for a while: polls a condition until it holds. The limit is only there
 * to turn a hang into a failure; no healthy run comes near it, however slow the machine.
 */
final class Eventually {
    static final Duration LIMIT = Duration.ofSeconds(60);

    private Eventually() {
    }

    /** Returns once {@code condition} holds; fails with {@code what} if it does not within {@link #LIMIT}. */
    static void until(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + LIMIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("Not within " + LIMIT.toSeconds() + " s: " + what);
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("Interrupted while waiting for: " + what, e);
            }
        }
    }
}
