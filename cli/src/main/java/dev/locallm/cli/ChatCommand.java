package dev.locallm.cli;

import dev.locallm.ChatModel;
import dev.locallm.chat.AssistantMessage;
import dev.locallm.chat.ChatChunk;
import dev.locallm.chat.ChatMessage;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.ChatResponse;
import dev.locallm.chat.FinishReason;
import dev.locallm.chat.GenerationOptions;
import dev.locallm.chat.ResponseFormat;
import dev.locallm.chat.SystemMessage;
import dev.locallm.chat.Timings;
import dev.locallm.chat.UserMessage;
import dev.locallm.error.InvalidRequestException;
import dev.locallm.openai.ToolDefinitions;
import dev.locallm.schema.JsonSchema;
import dev.locallm.stream.ChatStream;
import dev.locallm.tool.ToolChoice;
import dev.locallm.tool.ToolSpec;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code locallm chat}: streams a reply to stdout. With {@code --prompt} it answers once; without, it reads
 * one message per line from stdin and keeps the conversation until end of input or {@code /exit}. With
 * {@code --json-schema} it prints only the JSON answer; with {@code --tools}, the tool calls as a JSON array
 * (or the text reply when the model made none).
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

    @Option(names = "--stats", description = "Print token counts and speed to stderr after each reply (a server's "
            + "own speed when it reports one).")
    boolean stats;

    @Option(names = "--json-schema", paramLabel = "FILE",
            description = "Answer with JSON that validates against this JSON schema; prints only the JSON.")
    Path jsonSchema;

    @Option(names = "--grammar-only", description = "With --json-schema: refuse a schema that the grammar cannot "
            + "enforce in full, instead of checking the rest after generating (and sampling again when it fails).")
    boolean grammarOnly;

    @Option(names = "--tools", paramLabel = "FILE",
            description = "A JSON array of OpenAI-style tool definitions; prints the tool calls as a JSON array.")
    Path tools;

    @Option(names = "--tool-choice", paramLabel = "auto|none|required|NAME", defaultValue = "auto",
            description = "Whether and which tool must be called (with --tools). Default: ${DEFAULT-VALUE}.")
    String toolChoice;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        model.verbose.apply();
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
            if (jsonSchema != null || tools != null) {
                if (prompt == null) {
                    throw new CommandLine.ParameterException(spec.commandLine(),
                            "--json-schema and --tools need --prompt");
                }
                history.add(UserMessage.of(prompt));
                return structured(chat, history, out);
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

    /** One answer as JSON of a schema, or as tool calls: printed alone, so that it can be piped. */
    private int structured(ChatModel chat, List<ChatMessage> history, PrintWriter out) throws IOException {
        ChatRequest.Builder request = ChatRequest.builder().messages(history);
        if (jsonSchema != null) {
            ResponseFormat format = ResponseFormat.jsonSchema(JsonSchema.parse(Files.readString(jsonSchema)));
            request.responseFormat(grammarOnly ? format.grammarOnly() : format);
        }
        if (tools != null) {
            request.tools(toolSpecs(Files.readString(tools))).toolChoice(choice(toolChoice));
        }
        ChatResponse response = chat.chat(request.build());
        if (tools != null && !response.toolCalls().isEmpty()) {
            out.println(JsonMapper.shared().writeValueAsString(ToolDefinitions.writeCalls(response.toolCalls())));
        } else {
            out.println(response.text().strip());
        }
        out.flush();
        return 0;
    }

    private static List<ToolSpec> toolSpecs(String json) {
        try {
            return ToolDefinitions.readAll(JsonMapper.shared().readTree(json), "tools");
        } catch (JacksonException e) {
            throw new InvalidRequestException("--tools: not valid JSON: " + e.getOriginalMessage(), "tools");
        } catch (InvalidRequestException e) {
            throw new InvalidRequestException("--tools: " + e.getMessage(), "tools");
        }
    }

    private static ToolChoice choice(String value) {
        return switch (value) {
            case "auto" -> ToolChoice.AUTO;
            case "none" -> ToolChoice.NONE;
            case "required" -> ToolChoice.REQUIRED;
            default -> ToolChoice.named(value);
        };
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
            Timings t = response.timings();
            err.printf("[%s, %d prompt + %d completion tokens, first token after %d ms, %s]%n",
                    response.finishReason(), response.usage().promptTokens(), response.usage().completionTokens(),
                    t.timeToFirstToken().toMillis(), t.hasReportedSpeed()
                            ? String.format(Locale.ROOT, "server: prompt %.1f tokens/s, generation %.1f tokens/s",
                                    t.reportedPromptTokensPerSecond(), t.reportedDecodeTokensPerSecond())
                            : String.format(Locale.ROOT, "%.1f tokens/s", t.decodeTokensPerSecond()));
        } else if (response.finishReason() == FinishReason.LENGTH) {
            err.println("[stopped at the token limit]");
        }
        err.flush();
        return response;
    }
}
