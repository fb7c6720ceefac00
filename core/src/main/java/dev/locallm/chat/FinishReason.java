package dev.locallm.chat;

/** Why a generation ended. */
public enum FinishReason {
    /** The model ended its turn, or a stop sequence was reached. */
    STOP,
    /** {@code maxTokens} or the end of the context window was reached; the text is cut short. */
    LENGTH,
    /** The turn ended with one or more tool calls. */
    TOOL_CALLS,
    /** The generation was cancelled: a stream was closed, the thread interrupted or the model closed. */
    CANCELLED
}
