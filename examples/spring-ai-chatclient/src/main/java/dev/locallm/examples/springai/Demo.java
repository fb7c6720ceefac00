package dev.locallm.examples.springai;

import java.io.PrintStream;
import org.springframework.boot.CommandLineRunner;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.stereotype.Component;

/**
 * Prints the four uses of {@link Assistant} when the application starts; {@code demo.enabled=false} turns it off
 * (the test does).
 */
@Component
@ConditionalOnBooleanProperty(name = "demo.enabled", matchIfMissing = true)
class Demo implements CommandLineRunner {
    private final Assistant assistant;
    private final WeatherTools weatherTools;

    Demo(Assistant assistant, WeatherTools weatherTools) {
        this.assistant = assistant;
        this.weatherTools = weatherTools;
    }

    @Override
    public void run(String... args) {
        PrintStream out = System.out;
        out.println("chat: " + assistant.chat("Tell me a story."));

        out.print("stream: ");
        assistant.stream("Once upon a time").doOnNext(out::print).blockLast();
        out.println();

        out.println("record: " + assistant.weather("The weather in Paris, as JSON."));

        String reply = assistant.temperature("How warm is it in Oslo?");
        out.println("tool: called currentTemperature(" + weatherTools.lookups() + "), reply: " + reply);
    }
}
