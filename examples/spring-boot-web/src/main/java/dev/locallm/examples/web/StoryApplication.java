package dev.locallm.examples.web;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * A Spring Boot web application on LocaLLM: the starter loads the model of {@code locallm.chat-model.uri} as a
 * {@code ChatModel} bean, {@link StoryController} serves it, Actuator reports its health and metrics.
 */
@SpringBootApplication
public class StoryApplication {

    /** Starts the application. */
    public static void main(String[] args) {
        SpringApplication.run(StoryApplication.class, args);
    }
}
