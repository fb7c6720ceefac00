package dev.locallm.llamacpp;

import dev.locallm.ChatModel;
import dev.locallm.LocalLm;
import dev.locallm.chat.ChatRequest;

/**
 * Run in a child JVM by {@link NativeLoadSafetyTest}: loads a model file natively, generates a few tokens and
 * prints one line, {@code RESULT ok} or {@code RESULT <exception class>}. If native code crashed the JVM,
 * there is no such line and the exit code is not 0.
 */
public final class LoadProbe {
    private LoadProbe() {
    }

    public static void main(String[] args) {
        String result;
        try (ChatModel model = LocalLm.chatModel("gguf:" + args[0] + "?threads=1&ctx=128")) {
            model.chat(ChatRequest.builder().user("hi").options(o -> o.maxTokens(4).temperature(0)).build());
            result = "ok";
        } catch (Throwable t) {
            result = t.getClass().getName() + ": " + t.getMessage();
        }
        System.out.println("RESULT " + result);
        System.out.flush();
        System.exit(0);
    }
}
