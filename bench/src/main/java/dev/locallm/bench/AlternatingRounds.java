package dev.locallm.bench;

import dev.locallm.chat.ChatResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongFunction;

/**
 * Two measured calls per round, seeded with the round's number, in alternating order so that neither always runs
 * second (on warmer caches, or after the other has heated the machine).
 */
final class AlternatingRounds {
    /** The two responses of one round, each under its own name whichever ran first. */
    record Round(ChatResponse a, ChatResponse b) { }

    private AlternatingRounds() {
    }

    /** Runs {@code rounds} rounds of {@code a} and {@code b}, each given the round's seed. */
    static List<Round> run(int rounds, LongFunction<ChatResponse> a, LongFunction<ChatResponse> b) {
        List<Round> done = new ArrayList<>();
        for (int i = 0; i < rounds; i++) {
            if (i % 2 == 0) {
                ChatResponse first = a.apply(i);
                done.add(new Round(first, b.apply(i)));
            } else {
                ChatResponse first = b.apply(i);
                done.add(new Round(a.apply(i), first));
            }
        }
        return done;
    }
}
