package dev.locallm.examples.web;

import dev.locallm.ChatModel;
import dev.locallm.chat.ChatChunk;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.ChatResponse;
import dev.locallm.schema.Description;
import dev.locallm.stream.ChatStream;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import org.springframework.core.task.AsyncTaskExecutor;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * REST endpoints over the {@link ChatModel} bean: a whole reply, the reply as server-sent events while it is
 * generated, and a record the model fills in. Thread-safe: requests beyond the model's slots wait for one.
 */
@RestController
@RequestMapping("/api")
public class StoryController {
    private final ChatModel model;
    private final AsyncTaskExecutor executor;

    StoryController(ChatModel model, AsyncTaskExecutor executor) {
        this.model = model;
        this.executor = executor;
    }

    /** What a client asks. */
    public record Prompt(String prompt) {
    }

    /** A whole reply, with what it cost. */
    public record Reply(String text, String finishReason, int promptTokens, int completionTokens) {
    }

    /** What the model is asked to fill in; the schema derived from the record is enforced while it generates. */
    public record Weather(@Description("City name") String city, @Description("Degrees Celsius") int temperature) {
    }

    /** The model's whole reply. */
    @PostMapping("/story")
    public Reply story(@RequestBody Prompt prompt) {
        ChatResponse response = model.chat(ChatRequest.of(prompt.prompt()));
        return new Reply(response.text(), response.finishReason().name(), response.usage().promptTokens(),
                response.usage().completionTokens());
    }

    /**
     * The reply as it is generated: one event per piece of text, as JSON ({@code {"text":" Once"}}, so that
     * spaces and line breaks in the text survive), then a {@code done} event with the finish reason. A client that
     * goes away stops the generation, which frees the model's slot.
     */
    @PostMapping("/story/stream")
    public SseEmitter storyStream(@RequestBody Prompt prompt) {
        SseEmitter emitter = new SseEmitter(Duration.ofMinutes(5).toMillis());
        ChatStream stream = model.chatStream(ChatRequest.of(prompt.prompt()));
        emitter.onCompletion(stream::close);
        emitter.onTimeout(stream::close);
        emitter.onError(error -> stream.close());
        executor.execute(() -> {
            try (stream) {
                for (ChatChunk chunk : stream) {
                    if (!chunk.text().isEmpty()) {
                        emitter.send(Map.of("text", chunk.text()));
                    }
                }
                emitter.send(SseEmitter.event().name("done").data(stream.response().finishReason().name()));
                emitter.complete();
            } catch (IOException | RuntimeException e) {
                emitter.completeWithError(e);
            }
        });
        return emitter;
    }

    /**
     * The weather the model makes up for a question, as a record: valid JSON even from a tiny model, given the
     * tokens a whole record takes.
     */
    @PostMapping("/weather")
    public Weather weather(@RequestBody Prompt prompt) {
        return model.chat(ChatRequest.builder().user(prompt.prompt()).options(o -> o.maxTokens(128)).build(),
                Weather.class);
    }
}
