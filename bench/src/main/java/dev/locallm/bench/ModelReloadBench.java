package dev.locallm.bench;

import dev.locallm.ChatModel;
import dev.locallm.LocalLm;
import dev.locallm.chat.ChatRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What opening and closing a model costs a long-running process: {@code cycles} times, a {@code ChatModel} on
 * stories260K is opened, generates 4 tokens and is closed; the process's resident memory is printed every tenth
 * cycle. Run it once as is and once with {@code -Dlocallm.llamacpp.retainedModels=1} (the released model is kept
 * for the next open) to see the binding's leak per native load and what retention saves.
 *
 * <p>Usage: {@code bench/run.sh ModelReloadBench [cycles]}, or
 * {@code JAVA_TOOL_OPTIONS=-Dlocallm.llamacpp.retainedModels=1 bench/run.sh ModelReloadBench [cycles]}.
 */
public final class ModelReloadBench {
    private ModelReloadBench() {
    }

    public static void main(String[] args) throws IOException {
        int cycles = args.length > 0 ? Integer.parseInt(args[0]) : 100;
        String uri = "gguf:" + BenchModels.stories() + "?threads=1";
        System.out.printf("Model reload, %d cycles, retainedModels=%s%n", cycles,
                System.getProperty("locallm.llamacpp.retainedModels", "0"));
        long first = -1;
        for (int i = 1; i <= cycles; i++) {
            try (ChatModel model = LocalLm.chatModel(uri)) {
                model.chat(ChatRequest.builder().user("Hi").options(o -> o.maxTokens(4).temperature(0)).build());
            }
            if (i == 1 || i % 10 == 0) {
                long rss = rss();
                first = first < 0 ? rss : first;
                System.out.printf("cycle %3d: RSS %6.1f MB (%+.1f MB since cycle 1, %.2f MB per cycle)%n", i,
                        rss / 1e6, (rss - first) / 1e6, i == 1 ? 0.0 : (rss - first) / 1e6 / (i - 1));
            }
        }
        System.exit(0);
    }

    private static long rss() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
            }
        }
        return -1;
    }
}
