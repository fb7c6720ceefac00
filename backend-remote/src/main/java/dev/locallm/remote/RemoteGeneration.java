package dev.locallm.remote;

import dev.locallm.chat.FinishReason;
import dev.locallm.chat.Usage;
import dev.locallm.error.LocalLmException;
import dev.locallm.error.StreamInterruptedException;
import dev.locallm.internal.Json;
import dev.locallm.spi.Generation;
import dev.locallm.spi.GenerationEvent;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.atomic.AtomicBoolean;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * One streamed completion from a remote server, turned into core's generation events. Text deltas become text;
 * structured tool-call deltas are written as Hermes {@code <tool_call>} text, which core parses, streams as
 * deltas and validates like any model's calls (calls a server left in its text are recovered the same way, in
 * any of the formats {@link RemoteChatEngine#toolCallFormats()} names).
 * The stream ends at {@code [DONE]}, or at the end of the body or a stall once a finish reason was seen; any
 * other end is a {@link StreamInterruptedException} with the text received so far. Threading as
 * {@link Generation} requires: one consumer, {@link #cancel()} from anywhere.
 */
final class RemoteGeneration implements Generation {
    static final String CALL_OPEN = "<tool_call>\n{\"name\": ";
    static final String CALL_ARGUMENTS = ", \"arguments\": ";
    static final String CALL_CLOSE = "}\n</tool_call>";

    private final EventStream stream;
    private final boolean rawCompletion;
    private final int estimatedPromptTokens;
    private final long readTimeoutNanos;
    private final long deadlineNanos;
    private final Runnable release;
    private final AtomicBoolean released = new AtomicBoolean();
    private final Deque<GenerationEvent> pending = new ArrayDeque<>();
    private final StringBuilder received = new StringBuilder();
    private final DeltaChunk.Reader chunks = new DeltaChunk.Reader();
    private String finishReason;
    private Usage usage;
    private volatile boolean finished;
    private volatile boolean cancelled;
    private int callIndex = -1;
    private boolean callOpen;
    private boolean callHasArguments;
    private String pendingArguments = "";

    RemoteGeneration(EventStream stream, boolean rawCompletion, int estimatedPromptTokens, long readTimeoutNanos,
            long deadlineNanos, Runnable release) {
        this.stream = stream;
        this.estimatedPromptTokens = estimatedPromptTokens;
        this.rawCompletion = rawCompletion;
        this.readTimeoutNanos = readTimeoutNanos;
        this.deadlineNanos = deadlineNanos;
        this.release = release;
    }

    /** The server's count, or an estimate from the prompt's length when it reports no usage. */
    @Override
    public int promptTokens() {
        return usage == null ? estimatedPromptTokens : usage.promptTokens();
    }

    @Override
    public GenerationEvent next() {
        while (pending.isEmpty()) {
            if (cancelled) {
                return end(GenerationEvent.Finished.of(FinishReason.CANCELLED));
            }
            DeltaChunk common = stream.common(chunks);
            if (common != null) {
                read(common);
                continue;
            }
            SseParser.Event event;
            try {
                event = stream.next(readTimeoutNanos, deadlineNanos);
            } catch (EventStream.Stalled s) {
                if (finishReason != null) {
                    stream.cancel();
                    return finish();
                }
                throw interrupted(s.why == EventStream.Stop.TOTAL_TIMEOUT ? "the total timeout passed"
                        : "the server sent nothing for " + readTimeoutNanos / 1_000_000 + " ms", null);
            } catch (IOException e) {
                if (cancelled) {
                    continue;
                }
                throw interrupted("the connection failed: " + e.getMessage(), e);
            } catch (LocalLmException e) {
                throw interrupted(e.getMessage(), e);
            }
            if (event == null) {
                if (cancelled || stream.cancelled()) {
                    cancelled = true;
                    continue;
                }
                if (finishReason != null) {
                    return finish();
                }
                throw interrupted("the stream ended before the server finished its reply", null);
            }
            if (event.type().equals("error")) {
                LocalLmException error = serverError(event.text().strip());
                throw interrupted("the server sent an error: " + error.getMessage(), error);
            }
            if (event.isDone()) {
                stream.drain();
                return finish();
            }
            common = chunks.read(event.bytes(), event.offset(), event.length());
            if (common != null) {
                read(common);
                continue;
            }
            String data = event.text().strip();
            if (data.isEmpty()) {
                continue;
            }
            JsonNode chunk;
            try {
                chunk = Json.MAPPER.readTree(data);
            } catch (JacksonException e) {
                throw interrupted("the server sent an event that is not JSON: " + e.getOriginalMessage(), e);
            }
            if (chunk == null || !chunk.isObject()) {
                throw interrupted("the server sent an event that is not a JSON object: " + abbreviate(data), null);
            }
            if (chunk.has("error") && !chunk.get("error").isNull()) {
                LocalLmException error = serverError(data);
                throw interrupted("the server sent an error: " + error.getMessage(), error);
            }
            read(chunk);
        }
        return pending.poll();
    }

    private static LocalLmException serverError(String data) {
        return ServerErrors.of(500, data.getBytes(StandardCharsets.UTF_8));
    }

    private void read(DeltaChunk chunk) {
        if (chunk.completionTokens >= 0) {
            usage = new Usage(Math.max(0, chunk.promptTokens), chunk.completionTokens);
        }
        if (rawCompletion) {
            if (chunk.text != null) {
                text(chunk.text, 1);
            }
        } else if (chunk.content != null && !chunk.content.isEmpty()) {
            closeCall();
            text(chunk.content, 1);
        }
        if (chunk.finishReason != null) {
            finishReason = chunk.finishReason;
        }
    }

    private void read(JsonNode chunk) {
        JsonNode u = chunk.get("usage");
        if (u != null && u.isObject() && u.has("completion_tokens")) {
            usage = new Usage(u.path("prompt_tokens").asInt(0), u.path("completion_tokens").asInt(0));
        }
        JsonNode choices = chunk.get("choices");
        if (choices == null || !choices.isArray() || choices.isEmpty()) {
            return;
        }
        JsonNode choice = choices.get(0);
        if (rawCompletion) {
            text(choice.path("text").asString(""), 1);
        } else {
            JsonNode delta = choice.has("delta") ? choice.get("delta") : choice.path("message");
            JsonNode content = delta.get("content");
            if (content != null && content.isString() && !content.asString().isEmpty()) {
                closeCall();
                text(content.asString(), 1);
            }
            JsonNode calls = delta.get("tool_calls");
            if (calls != null && calls.isArray()) {
                for (JsonNode call : calls) {
                    toolCallDelta(call);
                }
            }
        }
        JsonNode reason = choice.get("finish_reason");
        if (reason != null && reason.isString()) {
            finishReason = reason.asString();
        }
    }

    /**
     * One tool-call delta: the first of a call (a new index) opens a Hermes block once its name is known;
     * argument pieces follow as text. Servers that send arguments as a JSON object rather than a string (Ollama
     * before its streaming support) are serialized.
     */
    private void toolCallDelta(JsonNode call) {
        int index = call.has("index") && call.get("index").isIntegralNumber() ? call.get("index").asInt()
                : callIndex < 0 ? 0 : callOpen && !call.path("function").has("name") ? callIndex : callIndex + 1;
        JsonNode function = call.path("function");
        if (index != callIndex) {
            closeCall();
            callIndex = index;
            pendingArguments = "";
        }
        JsonNode args = function.get("arguments");
        String piece = args == null || args.isNull() ? "" : args.isString() ? args.asString()
                : Json.MAPPER.writeValueAsString(args);
        if (!callOpen) {
            JsonNode name = function.get("name");
            if (name == null || !name.isString() || name.asString().isEmpty()) {
                pendingArguments += piece;
                return;
            }
            text(CALL_OPEN + Json.MAPPER.writeValueAsString(name.asString()) + CALL_ARGUMENTS, 0);
            callOpen = true;
            callHasArguments = false;
            piece = pendingArguments + piece;
            pendingArguments = "";
        }
        if (!piece.isEmpty()) {
            callHasArguments = callHasArguments || !piece.isBlank();
            text(piece, 1);
        }
    }

    private void closeCall() {
        if (callOpen) {
            text((callHasArguments ? "" : "{}") + CALL_CLOSE, 0);
            callOpen = false;
        }
    }

    private void text(String text, int tokens) {
        if (!text.isEmpty()) {
            received.append(text);
            pending.add(new GenerationEvent.Text(text, tokens));
        }
    }

    private GenerationEvent finish() {
        closeCall();
        FinishReason reason = switch (finishReason == null ? "stop" : finishReason) {
            case "length", "max_tokens", "model_length" -> FinishReason.LENGTH;
            default -> FinishReason.STOP;
        };
        pending.add(usage == null ? GenerationEvent.Finished.of(reason) : GenerationEvent.Finished.of(reason, usage));
        finished = true;
        releaseOnce();
        return pending.poll();
    }

    private GenerationEvent end(GenerationEvent.Finished event) {
        finished = true;
        releaseOnce();
        return event;
    }

    private StreamInterruptedException interrupted(String why, Throwable cause) {
        finished = true;
        stream.cancel();
        releaseOnce();
        return new StreamInterruptedException("The stream from the server broke off: " + why, received.toString(),
                cause);
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 80) + "...";
    }

    /** Stops the stream and closes its connection; nothing to do once the reply has finished. */
    @Override
    public void cancel() {
        if (!finished) {
            cancelled = true;
            stream.cancel();
        }
    }

    @Override
    public void close() {
        if (!finished) {
            cancel();
        }
        releaseOnce();
    }

    private void releaseOnce() {
        if (released.compareAndSet(false, true)) {
            release.run();
        }
    }
}
