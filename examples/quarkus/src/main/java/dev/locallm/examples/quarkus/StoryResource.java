package dev.locallm.examples.quarkus;

import dev.locallm.ChatModel;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.ChatResponse;
import dev.locallm.error.InvalidRequestException;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.RestResponse;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * {@code POST /story}: the injected {@link ChatModel} answers a prompt and the reply comes back as JSON, with
 * why it stopped and how many tokens it took. The method blocks, so Quarkus runs it on a worker thread; requests
 * beyond the model's {@code parallel} slots wait their turn.
 *
 * <pre>
 * curl -s localhost:8080/story -H 'Content-Type: application/json' -d '{"prompt":"Tell me a story"}'
 * {"text":"\"Mommy, can you...","finishReason":"LENGTH","usage":{"promptTokens":86,"completionTokens":256}}
 * </pre>
 */
@Path("/story")
public class StoryResource {

    /** What the client sends. */
    public record StoryRequest(String prompt) {
    }

    /** What the client gets: the model's text, why it stopped ({@code STOP}, {@code LENGTH}), and its usage. */
    public record Story(String text, String finishReason, Usage usage) {
    }

    /** Token counts of one reply. */
    public record Usage(int promptTokens, int completionTokens) {
    }

    /** Why a request was refused, and the request parameter at fault (empty when no single one is). */
    public record Problem(String message, String parameter) {
    }

    private final ChatModel model;

    StoryResource(ChatModel model) {
        this.model = model;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Story tell(StoryRequest request) {
        if (request == null || request.prompt() == null || request.prompt().isBlank()) {
            throw new InvalidRequestException("prompt must not be blank", "prompt");
        }
        ChatResponse response = model.chat(ChatRequest.builder().system("You tell short stories.")
                .user(request.prompt()).build());
        return new Story(response.text(), response.finishReason().name(),
                new Usage(response.usage().promptTokens(), response.usage().completionTokens()));
    }

    /** A request the model refuses (blank, or longer than its context) is the client's error: 400. */
    @ServerExceptionMapper
    RestResponse<Problem> invalid(InvalidRequestException e) {
        return RestResponse.status(Response.Status.BAD_REQUEST, new Problem(e.getMessage(), e.parameter()));
    }
}
