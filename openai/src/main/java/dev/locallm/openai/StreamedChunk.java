package dev.locallm.openai;

import dev.locallm.chat.Timings;
import dev.locallm.chat.Usage;
import dev.locallm.tool.ToolCallDelta;
import java.util.List;
import java.util.Optional;

/**
 * What one streamed chunk says, as a client reads it ({@link ChatCompletionChunks#read}): the first choice's text
 * and tool-call pieces, its finish reason, the usage, or an error. A whole {@code chat.completion} or
 * {@code text_completion} object reads the same way (its {@code message} as the delta). Immutable.
 */
public final class StreamedChunk {
    private final String text;
    private final List<ToolCallDelta> toolCalls;
    private final String finishReason;
    private final Usage usage;
    private final ErrorBody error;
    private final Timings timings;

    StreamedChunk(String text, List<ToolCallDelta> toolCalls, String finishReason, Usage usage, ErrorBody error,
            Timings timings) {
        this.text = text;
        this.toolCalls = List.copyOf(toolCalls);
        this.finishReason = finishReason;
        this.usage = usage;
        this.error = error;
        this.timings = timings;
    }

    /** The text the chunk adds: a chat delta's {@code content}, or a legacy completion's {@code text}; may be empty. */
    public String text() {
        return text;
    }

    /**
     * The tool-call pieces, as the server sent them: an {@link ToolCallDelta#index()} of -1 when it sent none, an
     * empty id or name when it sent none; arguments sent as a JSON object are serialized.
     */
    public List<ToolCallDelta> toolCalls() {
        return toolCalls;
    }

    /** The first choice's {@code finish_reason}, as the server wrote it. */
    public Optional<String> finishReason() {
        return Optional.ofNullable(finishReason);
    }

    /** The usage, when the chunk carries it. */
    public Optional<Usage> usage() {
        return Optional.ofNullable(usage);
    }

    /** The server's own speed (llama-server's {@code timings}), when the chunk carries it. */
    public Optional<Timings> timings() {
        return Optional.ofNullable(timings);
    }

    /** The error, when the chunk is one. */
    public Optional<ErrorBody> error() {
        return Optional.ofNullable(error);
    }

    @Override
    public String toString() {
        return "StreamedChunk[" + text + (toolCalls.isEmpty() ? "" : ", " + toolCalls)
                + (finishReason == null ? "" : ", " + finishReason) + (usage == null ? "" : ", " + usage)
                + (error == null ? "" : ", " + error) + "]";
    }
}
