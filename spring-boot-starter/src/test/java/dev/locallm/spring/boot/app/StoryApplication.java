package dev.locallm.spring.boot.app;

import dev.locallm.ChatModel;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.ChatResponse;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** A web application as a user writes one: an endpoint backed by the auto-configured {@link ChatModel}. */
@SpringBootApplication
public class StoryApplication {

    /** What the endpoint answers. */
    public record Story(String text, int completionTokens) {
    }

    /** The endpoint. */
    @RestController
    static class StoryController {
        private final ChatModel model;

        StoryController(ChatModel model) {
            this.model = model;
        }

        @PostMapping("/story")
        Story story(@RequestBody String prompt) {
            ChatResponse response = model.chat(ChatRequest.of(prompt));
            return new Story(response.text(), response.usage().completionTokens());
        }
    }
}
