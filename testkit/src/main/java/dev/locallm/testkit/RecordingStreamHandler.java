package dev.locallm.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.locallm.chat.ChatResponse;
import dev.locallm.stream.StreamHandler;
import dev.locallm.tool.ToolCallDelta;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link StreamHandler} that records every event in order, for assertions after the stream. Checks the
 * handler contract as events arrive: nothing after {@code onComplete} or {@code onError}. Thread-safe.
 */
public final class RecordingStreamHandler implements StreamHandler {
    private final List<Object> events = new ArrayList<>();
    private final List<String> violations = new ArrayList<>();
    private boolean terminated;

    @Override
    public synchronized void onText(String text) {
        check("onText");
        events.add(text);
    }

    @Override
    public synchronized void onToolCallDelta(ToolCallDelta delta) {
        check("onToolCallDelta");
        events.add(delta);
    }

    @Override
    public synchronized void onComplete(ChatResponse response) {
        check("onComplete");
        terminated = true;
        events.add(response);
    }

    @Override
    public synchronized void onError(Throwable error) {
        check("onError");
        terminated = true;
        events.add(error);
    }

    private void check(String event) {
        if (terminated) {
            violations.add(event + " after the stream had ended");
        }
    }

    /** The concatenated text of all {@code onText} calls. */
    public synchronized String text() {
        StringBuilder sb = new StringBuilder();
        events.stream().filter(String.class::isInstance).forEach(e -> sb.append((String) e));
        return sb.toString();
    }

    /** The tool-call deltas, in order. */
    public synchronized List<ToolCallDelta> toolCallDeltas() {
        return events.stream().filter(ToolCallDelta.class::isInstance).map(ToolCallDelta.class::cast).toList();
    }

    /** Number of {@code onText} calls. */
    public synchronized long textEvents() {
        return events.stream().filter(String.class::isInstance).count();
    }

    /** The response given to {@code onComplete}; fails when there was none. */
    public synchronized ChatResponse completion() {
        assertThat(events).as("events").isNotEmpty();
        Object last = events.get(events.size() - 1);
        assertThat(last).as("last event").isInstanceOf(ChatResponse.class);
        return (ChatResponse) last;
    }

    /** The error given to {@code onError}; fails when there was none. */
    public synchronized Throwable error() {
        assertThat(events).as("events").isNotEmpty();
        Object last = events.get(events.size() - 1);
        assertThat(last).as("last event").isInstanceOf(Throwable.class);
        return (Throwable) last;
    }

    /** Fails when an event broke the contract or when the stream did not end with exactly one terminal event. */
    public synchronized void assertExhausted() {
        assertThat(violations).as("handler contract violations").isEmpty();
        long terminals = events.stream().filter(e -> e instanceof ChatResponse || e instanceof Throwable).count();
        assertThat(terminals).as("onComplete/onError calls").isEqualTo(1);
    }
}
