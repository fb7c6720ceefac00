package dev.locallm.examples.springai;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.springframework.ai.tool.annotation.Tool;
import org.springframework.ai.tool.annotation.ToolParam;
import org.springframework.stereotype.Component;

/**
 * A tool the model calls through Spring AI's tool loop; it keeps the lookups it made. Thread-safe.
 */
@Component
public class WeatherTools {
    private final List<Lookup> lookups = new CopyOnWriteArrayList<>();

    /** One call of the tool: what the model asked for and what the tool answered. */
    public record Lookup(String city, int celsius) {
    }

    /** {@code returnDirect}: the result is the reply, and the tool loop ends after this call. */
    @Tool(description = "The current temperature in a city, in degrees Celsius", returnDirect = true)
    public int currentTemperature(@ToolParam(description = "City name") String city) {
        Lookup lookup = new Lookup(city, 21);
        lookups.add(lookup);
        return lookup.celsius();
    }

    /** The calls so far, oldest first. */
    public List<Lookup> lookups() {
        return List.copyOf(lookups);
    }
}
