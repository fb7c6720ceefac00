package dev.locallm.cli;

import dev.locallm.ChatModel;
import dev.locallm.chat.AssistantMessage;
import dev.locallm.chat.ChatChunk;
import dev.locallm.chat.ChatMessage;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.ChatResponse;
import dev.locallm.chat.FinishReason;
import dev.locallm.chat.GenerationOptions;
import dev.locallm.chat.SystemMessage;
import dev.locallm.chat.UserMessage;
import dev.locallm.stream.ChatStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code locallm chat}: streams a reply to stdout. With {@code --prompt} it answers once; without, it reads
 * one message per line from stdin and keeps the conversation until end of input or {@code /exit}.
 * Everything that is not model text (the prompt marker, statistics) goes to stderr, so stdout can be piped.
 */
@Command(name = "chat", description = "Chat with a model; streams the reply to stdout.")
final class ChatCommand implements Callable<Integer> {

    @Mixin
    ModelOptions model;

    @Option(names = {"-p", "--prompt"}, paramLabel = "TEXT", description = "Answer this message once and exit.")
    String prompt;

    @Option(names = {"-s", "--system"}, paramLabel = "TEXT", description = "A system message.")
    String system;

    @Option(names = {"-n", "--max-tokens"}, paramLabel = "N", description = "Most tokens per reply.")
    Integer maxTokens;

    @Option(names = {"-t", "--temperature"}, paramLabel = "T", description = "Sampling temperature; 0 is greedy.")
    Double temperature;

    @Option(names = "--seed", paramLabel = "S", description = "Random seed, for repeatable replies.")
    Long seed;

    @Option(names = "--stats", description = "Print token counts and speed to stderr after each reply.")
    boolean stats;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        LocalLmCommand.configureLogging(model.verbose);
        GenerationOptions.Builder options = GenerationOptions.builder();
        if (maxTokens != null) {
            options.maxTokens(maxTokens);
        }
        if (temperature != null) {
            options.temperature(temperature);
        }
        if (seed != null) {
            options.seed(seed);
        }
        GenerationOptions defaults = options.build();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (ChatModel chat = model.builder().defaultOptions(defaults).buildChatModel()) {
            List<ChatMessage> history = new ArrayList<>();
            if (system != null) {
                history.add(SystemMessage.of(system));
            }
            if (prompt != null) {
                history.add(UserMessage.of(prompt));
                reply(chat, history, out, err);
                return 0;
            }
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            err.println("Chatting with " + chat.capabilities().modelName() + ". Type /exit or end input to quit.");
            while (true) {
                err.print("> ");
                err.flush();
                String line = in.readLine();
                if (line == null || line.strip().equals("/exit")) {
                    return 0;
                }
                if (line.isBlank()) {
                    continue;
                }
                history.add(UserMessage.of(line));
                ChatResponse response = reply(chat, history, out, err);
                history.add(AssistantMessage.of(response.text()));
            }
        }
    }

    private ChatResponse reply(ChatModel chat, List<ChatMessage> history, PrintWriter out, PrintWriter err) {
        ChatResponse response;
        try (ChatStream stream = chat.chatStream(ChatRequest.builder().messages(history).build())) {
            ChatChunk last = null;
            for (ChatChunk chunk : stream) {
                out.print(chunk.text());
                out.flush();
                last = chunk;
            }
            response = last.response().orElseThrow();
        }
        out.println();
        out.flush();
        if (stats) {
            err.printf("[%s, %d prompt + %d completion tokens, first token after %d ms, %.1f tokens/s]%n",
                    response.finishReason(), response.usage().promptTokens(), response.usage().completionTokens(),
                    response.timings().timeToFirstToken().toMillis(), response.timings().decodeTokensPerSecond());
        } else if (response.finishReason() == FinishReason.LENGTH) {
            err.println("[stopped at the token limit]");
        }
        err.flush();
        return response;
    }
}
