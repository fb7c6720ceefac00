package dev.locallm.bench;

import dev.locallm.ChatModel;
import dev.locallm.LocalLm;
import dev.locallm.chat.ChatChunk;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.ChatResponse;
import dev.locallm.llamacpp.LlamaCppOptions;
import dev.locallm.llamacpp.NativeLibraryInfo;
import dev.locallm.stream.ChatStream;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Child process of {@link NativeBuildBench}: opens one {@code ChatModel} on the native library this JVM was
 * started with (greedy, a pass-through chat template, no prompt cache), prints {@code LIB <summary>} and
 * {@code READY}, then answers commands read from stdin, one a line:
 * <ul>
 *   <li>{@code single <tokens> <prompt file>}: one streamed generation; prints
 *       {@code RESULT <decode tok/s> <TTFT ms> <generated> <prompt tokens>};
 *   <li>{@code burst <clients> <tokens>}: that many concurrent requests, each with its own short prompt; prints
 *       {@code RESULT <total tok/s> <generated> <wall ms>};
 *   <li>{@code quit}.
 * </ul>
 * A failed command prints {@code ERROR <message>}.
 *
 * <p>Arguments: {@code model threads batchThreads parallel contextPerSlot}.
 */
public final class NativeBuildProbe {
    private static final String PASSTHROUGH = "{{ messages[0].content }}";

    private NativeBuildProbe() {
    }

    public static void main(String[] args) throws Exception {
        LlamaCppOptions options = LlamaCppOptions.builder().threads(Integer.parseInt(args[1]))
                .batchThreads(Integer.parseInt(args[2])).parallel(Integer.parseInt(args[3]))
                .contextSize(Integer.parseInt(args[4])).batchSize(512).chatTemplate(PASSTHROUGH).build();
        try (ChatModel model = LocalLm.builder().model(args[0]).backendOptions(options).buildChatModel()) {
            System.out.println("LIB " + NativeLibraryInfo.current().summary().replace('\n', ' '));
            System.out.println("READY");
            System.out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line = in.readLine(); line != null && !line.equals("quit"); line = in.readLine()) {
                String[] c = line.split(" ", 3);
                try {
                    System.out.println(switch (c[0]) {
                        case "single" -> single(model, Integer.parseInt(c[1]), Files.readString(Path.of(c[2])));
                        case "burst" -> burst(model, Integer.parseInt(c[1]), Integer.parseInt(c[2]));
                        default -> "ERROR unknown command " + line;
                    });
                } catch (Exception | Error e) {
                    System.out.println("ERROR " + String.valueOf(e).replace('\n', ' '));
                }
                System.out.flush();
            }
        }
        System.exit(0);
    }

    private static ChatRequest request(String prompt, int tokens) {
        return ChatRequest.builder().user(prompt).options(o -> o.temperature(0).seed(1).maxTokens(tokens)).build();
    }

    private static String single(ChatModel model, int tokens, String prompt) {
        ChatResponse response;
        try (ChatStream stream = model.chatStream(request(prompt, tokens))) {
            ChatChunk last = null;
            for (ChatChunk chunk : stream) {
                last = chunk;
            }
            response = last.response().orElseThrow();
        }
        return String.format(Locale.ROOT, "RESULT %.3f %.3f %d %d", response.timings().decodeTokensPerSecond(),
                response.timings().timeToFirstToken().toNanos() / 1e6, response.usage().completionTokens(),
                response.usage().promptTokens());
    }

    private static String burst(ChatModel model, int clients, int tokens) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            long start = System.nanoTime();
            List<Future<ChatResponse>> runs = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                ChatRequest request = request(NativeBuildBench.shortPrompt(i), tokens);
                runs.add(pool.submit(() -> model.chat(request)));
            }
            int generated = 0;
            for (Future<ChatResponse> run : runs) {
                generated += run.get().usage().completionTokens();
            }
            long wall = System.nanoTime() - start;
            return String.format(Locale.ROOT, "RESULT %.3f %d %.3f", generated * 1e9 / wall, generated, wall / 1e6);
        } finally {
            pool.shutdown();
        }
    }
}
