package dev.locallm.llamacpp;

import dev.locallm.ChatModel;
import dev.locallm.LocalLm;
import dev.locallm.chat.ChatRequest;
import dev.locallm.llamacpp.gguf.GgufFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Run in a child JVM by {@link GgufFuzzTest}: for mutants {@code FROM} to {@code TO} (exclusive) of a model, reads
 * each as {@code locallm info} does, then loads it natively and generates one token, and prints one line per step:
 * {@code MUTANT i info|load ok} or {@code MUTANT i info|load <exception class> <message length> <message lines>
 * <message with line breaks escaped>}. A mutant that crashes the JVM leaves its line missing.
 *
 * <p>Arguments: model file, seed, from, to, work directory.
 */
public final class GgufFuzzProbe {
    private GgufFuzzProbe() {
    }

    public static void main(String[] args) throws IOException {
        Path model = Path.of(args[0]);
        GgufMutants mutants = new GgufMutants(model, Files.readAllBytes(model), Long.parseLong(args[1]));
        Path file = Path.of(args[4]).resolve("mutant.gguf");
        for (int i = Integer.parseInt(args[2]); i < Integer.parseInt(args[3]); i++) {
            Files.write(file, mutants.get(i).bytes());
            try {
                GgufFile.read(file);
                report(i, "info", null);
            } catch (Throwable t) {
                report(i, "info", t);
                continue;
            }
            try (ChatModel chat = LocalLm.chatModel("gguf:" + file + "?threads=1&ctx=64")) {
                chat.chat(ChatRequest.builder().user("hi").options(o -> o.maxTokens(1).temperature(0)).build());
                report(i, "load", null);
            } catch (Throwable t) {
                report(i, "load", t);
            }
        }
        System.exit(0);
    }

    private static void report(int index, String step, Throwable t) {
        String line = "MUTANT " + index + " " + step + " ";
        if (t == null) {
            line += "ok";
        } else {
            String message = String.valueOf(t.getMessage());
            line += t.getClass().getName() + " " + message.length() + " " + message.lines().count() + " "
                    + message.replace("\n", "\\n").replace("\r", "\\r");
        }
        System.out.println(line);
        System.out.flush();
    }
}
