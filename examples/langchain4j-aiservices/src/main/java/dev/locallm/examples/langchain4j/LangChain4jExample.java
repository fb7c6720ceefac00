package dev.locallm.examples.langchain4j;

import dev.langchain4j.agent.tool.P;
import dev.langchain4j.agent.tool.ReturnBehavior;
import dev.langchain4j.agent.tool.Tool;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.Result;
import dev.langchain4j.service.TokenStream;
import dev.locallm.ChatModel;
import dev.locallm.LocalLm;
import dev.locallm.langchain4j.LocalLmChatModel;
import dev.locallm.langchain4j.LocalLmStreamingChatModel;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * LangChain4j's {@code AiServices} on a LocaLLM model: a chat, a record extracted with an enforced schema, a tool
 * the model is made to call, and a token stream. Any LocaLLM model URI; the shared stories260K model by default
 * (it writes stories, not answers: the structure is what to look at).
 *
 * <pre>
 * ./mvnw -q install -DskipTests
 * ./mvnw -q -pl examples/langchain4j-aiservices exec:exec -Dmodel=gguf:/models/qwen2.5-0.5b-instruct-q4_k_m.gguf
 * </pre>
 */
public final class LangChain4jExample {

    /** A plain assistant: LangChain4j turns the method into a chat request. */
    public interface Assistant {
        String chat(String message);
    }

    /** A record return type: AiServices sends its JSON schema, which LocaLLM enforces. */
    public record Person(String name, String city) {
    }

    public interface Extractor {
        Person extract(String text);
    }

    /** A tool whose result ends the turn ({@code IMMEDIATE}): one forced call, no second round. */
    public static final class Bookings {
        final List<String> booked = new ArrayList<>();

        @Tool(value = "Books a table at a restaurant", returnBehavior = ReturnBehavior.IMMEDIATE)
        public String book(@P("the restaurant") String restaurant) {
            booked.add(restaurant);
            return "booked " + restaurant;
        }
    }

    public interface Concierge {
        Result<String> handle(String request);
    }

    public interface Storyteller {
        TokenStream tell(String prompt);
    }

    /** What one run produced, for the test. */
    public record Report(String chat, Person person, Result<String> booking, List<String> booked,
            String streamed, ChatResponse streamResponse) {
    }

    private LangChain4jExample() {
    }

    public static void main(String[] args) throws Exception {
        String uri = args.length > 0 && !args[0].isBlank() ? args[0] : "gguf:" + sharedModel() + "?ctx=2048";
        try (ChatModel model = LocalLm.chatModel(uri)) {
            run(model, System.out);
        }
        System.exit(0); // the llama.cpp binding leaves a non-daemon native thread
    }

    /** The four uses, printed to {@code out}. */
    public static Report run(ChatModel localLm, PrintStream out) throws Exception {
        LocalLmChatModel model = LocalLmChatModel.builder().chatModel(localLm)
                .defaultRequestParameters(ChatRequestParameters.builder().temperature(0.0).maxOutputTokens(96)
                        .build()).build();

        String chat = AiServices.create(Assistant.class, model).chat("Tell me a story about a cat.");
        out.println("chat: " + chat);

        Person person = AiServices.create(Extractor.class, model).extract("Lily lives in Paris.");
        out.println("record: " + person);

        Bookings bookings = new Bookings();
        LocalLmChatModel forced = LocalLmChatModel.builder().chatModel(localLm)
                .defaultRequestParameters(ChatRequestParameters.builder().temperature(0.0).maxOutputTokens(96)
                        .toolChoice(ToolChoice.REQUIRED).build()).build();
        Result<String> booking = AiServices.builder(Concierge.class).chatModel(forced).tools(bookings).build()
                .handle("Book me a table at Chez Marie tonight.");
        out.println("tool: book(" + bookings.booked + ") -> " + booking.toolExecutions().get(0).result());

        StringBuilder streamed = new StringBuilder();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        try (LocalLmStreamingChatModel streaming = LocalLmStreamingChatModel.builder().chatModel(localLm)
                .defaultRequestParameters(ChatRequestParameters.builder().maxOutputTokens(32).build()).build()) {
            AiServices.create(Storyteller.class, streaming).tell("Once upon a time")
                    .onPartialResponse(piece -> {
                        out.print(piece);
                        streamed.append(piece);
                    })
                    .onCompleteResponse(done::complete)
                    .onError(done::completeExceptionally)
                    .start();
            ChatResponse response = done.get(60, TimeUnit.SECONDS);
            out.println();
            out.println("  (" + response.tokenUsage().outputTokenCount() + " tokens, " + response.finishReason() + ")");
            return new Report(chat, person, booking, List.copyOf(bookings.booked), streamed.toString(), response);
        }
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
