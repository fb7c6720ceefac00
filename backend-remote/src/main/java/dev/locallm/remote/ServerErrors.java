package dev.locallm.remote;

import dev.locallm.error.ContextLengthExceededException;
import dev.locallm.error.LocalLmException;
import dev.locallm.error.UnsupportedSchemaException;
import dev.locallm.openai.ErrorBodies;
import dev.locallm.openai.ErrorBody;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The typed exception for a server's error answer, read by {@link ErrorBodies}. A schema the server cannot enforce
 * becomes {@link UnsupportedSchemaException} when it says where ({@code keyword} and {@code pointer}, as
 * LocaLLM's server does). A context-length error becomes
 * {@link ContextLengthExceededException} when its numbers come as data ({@code n_prompt_tokens} and {@code n_ctx},
 * as llama-server and LocaLLM's own server send them), or, for the servers that give them only in their message
 * (vLLM, and OpenAI itself), from that message. Stateless.
 */
final class ServerErrors {
    /** vLLM and OpenAI: "maximum context length is 4096 tokens. However, you requested 5000 tokens (4000 in the messages, 1000 in the completion)". */
    private static final Pattern REQUESTED = Pattern.compile(
            "maximum context length is (\\d+) tokens.*?(\\d+) in the messages, (\\d+) in the completion",
            Pattern.DOTALL);
    /** vLLM (newer): "maximum context length is 2048 tokens. However, your request has 3000 input tokens". */
    private static final Pattern INPUT = Pattern.compile(
            "maximum context length is (\\d+) tokens.*?request has (\\d+) input tokens", Pattern.DOTALL);

    private ServerErrors() {
    }

    /** The exception for a non-2xx answer's body. */
    static LocalLmException of(int status, byte[] body) {
        return of(status, ErrorBodies.read(body), new String(body, 0, Math.min(body.length, 64 * 1024),
                StandardCharsets.UTF_8));
    }

    /** The exception for an error the server sent, as read, with its raw text. */
    static LocalLmException of(int status, ErrorBody error, String raw) {
        if (error.isContextLengthExceeded()) {
            return new ContextLengthExceededException(error.promptTokens().getAsInt(), error.maxTokens().orElse(0),
                    error.contextLength().getAsInt());
        }
        if (error.keyword().isPresent() && error.pointer().isPresent()) {
            return new UnsupportedSchemaException(error.keyword().get(), error.pointer().get(),
                    error.reason().orElse(error.message()));
        }
        ContextLengthExceededException prose = fromMessage(error.message());
        if (prose != null) {
            return prose;
        }
        String code = error.code().orElse(error.type().isEmpty() ? null : error.type());
        return RemoteServerException.of(status, error.message(), code, raw);
    }

    /** A context-length error named in vLLM's or OpenAI's words, or null. */
    private static ContextLengthExceededException fromMessage(String message) {
        Matcher m = REQUESTED.matcher(message);
        if (m.find()) {
            return new ContextLengthExceededException(Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)),
                    Integer.parseInt(m.group(1)));
        }
        m = INPUT.matcher(message);
        if (m.find()) {
            return new ContextLengthExceededException(Integer.parseInt(m.group(2)), 0, Integer.parseInt(m.group(1)));
        }
        return null;
    }
}
