package dev.locallm.examples.plain;

import dev.locallm.ChatModel;
import dev.locallm.LocalLm;
import dev.locallm.agent.ToolLoop;
import dev.locallm.chat.ChatChunk;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.ChatResponse;
import dev.locallm.schema.Description;
import dev.locallm.stream.ChatStream;
import dev.locallm.tool.Tool;
import dev.locallm.tool.ToolChoice;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * LocaLLM from a plain Java program: a chat, a stream, a record from a JSON schema, and a tool loop, on any model
 * URI (the shared stories260K model by default, which writes stories, not answers: the structure is what to look at).
 *
 * <pre>
 * ./mvnw -q install -DskipTests
 * ./mvnw -q -pl examples/plain-java exec:exec -Dmodel=gguf:/models/qwen2.5-0.5b-instruct-q4_k_m.gguf
 * </pre>
 */
public final class PlainJavaExample {

    /** What the model is asked to fill in: a JSON schema is derived from the record and enforced. */
    public record Weather(@Description("City name") String city, @Description("Degrees Celsius") int temperature) {
    }

    /** A tool the model may call; the loop runs it and sends the result back. */
    public static final class WeatherTools {
        final List<String> asked = new ArrayList<>();

        @Tool("The current temperature in a city, in degrees Celsius")
        public int temperature(@Description("City name") String city) {
            asked.add(city);
            return 21;
        }
    }

    /** What one run produced, for the test. */
    public record Report(String chat, String streamed, ChatResponse streamResponse, Weather weather,
            ToolLoop.Result toolLoop, List<String> toolCalls) {
    }

    private PlainJavaExample() {
    }

    public static void main(String[] args) {
        String uri = args.length > 0 && !args[0].isBlank() ? args[0] : "gguf:" + sharedModel() + "?ctx=2048";
        try (ChatModel model = LocalLm.chatModel(uri)) {
            run(model, System.out);
        }
        System.exit(0); // the llama.cpp binding leaves a non-daemon native thread
    }

    /** The four uses, printed to {@code out}. */
    public static Report run(ChatModel model, PrintStream out) {
        String chat = model.chat(ChatRequest.builder().system("You answer briefly.").user("Tell me a story.")
                .options(o -> o.temperature(0).seed(42).maxTokens(48)).build()).text();
        out.println("chat: " + chat);

        StringBuilder streamed = new StringBuilder();
        ChatResponse streamResponse;
        out.print("stream: ");
        try (ChatStream stream = model.chatStream(ChatRequest.builder().user("Once upon a time")
                .options(o -> o.maxTokens(32)).build())) {
            for (ChatChunk chunk : stream) {
                out.print(chunk.text());
                streamed.append(chunk.text());
            }
            streamResponse = stream.response();
        }
        out.println();
        out.println("  (" + streamResponse.usage().completionTokens() + " tokens, "
                + streamResponse.finishReason() + ")");

        Weather weather = model.chat(ChatRequest.builder().user("The weather in Paris, as JSON.")
                .options(o -> o.temperature(0).maxTokens(96)).build(), Weather.class);
        out.println("record: " + weather);

        WeatherTools tools = new WeatherTools();
        ToolLoop.Result loop = ToolLoop.builder(model).tools(tools).firstChoice(ToolChoice.REQUIRED).maxRounds(1)
                .build().run(ChatRequest.builder().user("How warm is it in Oslo?")
                        .options(o -> o.temperature(0).maxTokens(96)).build());
        out.println("tool loop: called temperature(" + tools.asked + "), then answered: "
                + loop.answer().text());
        return new Report(chat, streamed.toString(), streamResponse, weather, loop, List.copyOf(tools.asked));
    }

    /** The shared stories260K model: {@code LOCALLM_TEST_MODELS}, else {@code ../shared/models}. */
    static Path sharedModel() {
        String dir = System.getenv("LOCALLM_TEST_MODELS");
        Path models = dir != null && !dir.isBlank() ? Path.of(dir) : Path.of("..", "shared", "models");
        Path model = models.resolve("stories260K-chatml.gguf");
        if (!Files.isRegularFile(model)) {
            throw new IllegalStateException("No model given and none at " + model.toAbsolutePath()
                    + "; pass a model URI, such as gguf:/models/qwen2.5-0.5b-instruct-q4_k_m.gguf");
        }
        return model;
    }
}
