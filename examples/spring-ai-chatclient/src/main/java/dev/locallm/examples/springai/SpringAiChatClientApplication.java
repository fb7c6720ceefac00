package dev.locallm.examples.springai;

import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

/**
 * A Spring Boot application with Spring AI's {@link ChatClient} on a LocaLLM model: the starter loads the model from
 * {@code locallm.chat-model.uri} and exposes it as Spring AI's {@link ChatModel}; {@link Assistant} uses the client,
 * and {@link Demo} prints what it gets.
 *
 * <pre>
 * ./mvnw -q -pl examples/spring-ai-chatclient spring-boot:run
 * </pre>
 */
@SpringBootApplication
public class SpringAiChatClientApplication {

    public static void main(String[] args) {
        int status = 1;
        try {
            status = SpringApplication.exit(SpringApplication.run(SpringAiChatClientApplication.class, args));
        } finally {
            System.exit(status); // also on failure: the llama.cpp binding leaves a non-daemon native thread
        }
    }

    /** The client every call goes through, on the auto-configured model. */
    @Bean
    ChatClient chatClient(ChatModel chatModel) {
        return ChatClient.builder(chatModel).defaultSystem("You are a helpful assistant. Answer briefly.").build();
    }
}
