package dev.locallm.stream;

import dev.locallm.chat.ChatResponse;
import dev.locallm.tool.ToolCallDelta;

/**
 * Receives a generation as it happens (push streaming). All methods have do-nothing defaults; implement the
 * ones you need.
 *
 * <pre>{@code
 * model.chatStream(request, new StreamHandler() {
 *     public void onText(String text) { System.out.print(text); }
 *     public void onComplete(ChatResponse response) { System.out.println(); }
 * });
 * }</pre>
 *
 * <p>Methods are called on the thread that called {@link dev.locallm.ChatModel#chatStream(
 * dev.locallm.chat.ChatRequest, StreamHandler)}, in order: any number of {@link #onText} and
 * {@link #onToolCallDelta}, then exactly one of
 * {@link #onComplete} or {@link #onError}. Nothing is called after that. If a method throws, the generation
 * is cancelled and the exception propagates to the caller, and neither {@code onComplete} nor {@code onError}
 * is called.
 */
public interface StreamHandler {

    /** The next piece of text. */
    default void onText(String text) {
    }

    /**
     * The next piece of a tool call: its id and name first, then its arguments text, as in the OpenAI API.
     */
    default void onToolCallDelta(dev.locallm.tool.ToolCallDelta delta) {
    }

    /**
     * The generation ended; {@code response} holds the whole text, usage and timings. Also called, with
     * {@link dev.locallm.chat.FinishReason#CANCELLED}, when the generation was cancelled.
     */
    default void onComplete(ChatResponse response) {
    }

    /** The generation failed; {@code error} is usually a {@link dev.locallm.error.LocalLmException}. */
    default void onError(Throwable error) {
    }
}
