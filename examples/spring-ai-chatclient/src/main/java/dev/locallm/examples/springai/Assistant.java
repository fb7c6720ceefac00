package dev.locallm.examples.springai;

import dev.locallm.springai.LocalLmChatOptions;
import dev.locallm.tool.ToolChoice;
import org.springframework.ai.chat.client.AdvisorParams;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.stereotype.Service;
import reactor.core.publisher.Flux;

/**
 * What the application asks the model, through Spring AI's {@link ChatClient}: a reply, a stream, a record and a
 * tool call. Thread-safe: the client and the model are.
 */
@Service
public class Assistant {
    private final ChatClient chatClient;
    private final WeatherTools weatherTools;

    Assistant(ChatClient chatClient, WeatherTools weatherTools) {
        this.chatClient = chatClient;
        this.weatherTools = weatherTools;
    }

    /** What the model fills in: native structured output enforces the schema derived from the record. */
    public record Weather(String city, int temperature) {
    }

    /** The model's reply to a question. */
    public String chat(String question) {
        return chatClient.prompt().user(question).call().content();
    }

    /** The reply in pieces as the model writes them; nothing is generated until it is subscribed to. */
    public Flux<String> stream(String prompt) {
        return chatClient.prompt().user(prompt).stream().content();
    }

    /** A record from the reply: the model generates under the record's JSON schema. */
    public Weather weather(String question) {
        return chatClient.prompt().user(question).advisors(AdvisorParams.ENABLE_NATIVE_STRUCTURED_OUTPUT)
                .options(LocalLmChatOptions.builder().maxTokens(128)).call().entity(Weather.class);
    }

    /**
     * The answer of {@link WeatherTools}: the model must call it, ChatClient's tool loop runs it, and its result
     * is returned directly as the reply.
     */
    public String temperature(String question) {
        return chatClient.prompt().user(question).tools(weatherTools)
                .options(LocalLmChatOptions.builder().toolChoice(ToolChoice.REQUIRED).maxTokens(128)).call().content();
    }
}
