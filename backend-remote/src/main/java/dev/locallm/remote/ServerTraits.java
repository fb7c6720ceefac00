package dev.locallm.remote;

import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What LocaLLM knows about one server beyond its {@link Dialect}: what it said about itself when the model was
 * opened (the context a request gets: llama-server's slot from {@code /props}, Ollama's {@code num_ctx}, LM Studio's
 * loaded context; whether a llama-server's chat template can call tools), and
 * what it refused since. A refusal is learned once, from the error answer, and every later request is written
 * the way the server takes it: without {@code stream_options}, tools without streaming, or tools in the prompt
 * with LocaLLM's grammar. Thread-safe: a refusal, once learned, stays learned.
 */
final class ServerTraits {
    private static final Logger LOG = LoggerFactory.getLogger(ServerTraits.class);

    /** An error answer that says the server cannot take part of a request, and what is learned from it. */
    enum Refusal {
        /** Some vLLM builds answer {@code stream_options} with a 400. */
        STREAM_OPTIONS("stream_options", "refuses stream_options; usage is counted here from now on"),
        /** llama-server before tool streaming (b4980 and its era): 500 "Cannot use tools with stream". */
        TOOLS_IN_STREAM("tools with stream", "refuses tools in streams; requests with tools are sent without "
                + "streaming and their answers passed on as events"),
        /**
         * llama-server without {@code --jinja}: "tools param requires --jinja flag", "Unsupported param:
         * tool_choice".
         */
        TOOLS("tools param requires", "takes no tools (start llama-server with --jinja for them); tools are "
                + "described in the prompt and forced calls enforced with LocaLLM's grammar");

        private final String marker;
        private final String consequence;

        Refusal(String marker, String consequence) {
            this.marker = marker;
            this.consequence = consequence;
        }

        /** The refusal an error answer's body states, if it is one of these. */
        static Refusal in(RemoteServerException e) {
            if (e.status() != 400 && e.status() != 500 && e.status() != 501) {
                return null;
            }
            String body = e.body().toLowerCase(Locale.ROOT);
            for (Refusal r : values()) {
                if (body.contains(r.marker.toLowerCase(Locale.ROOT))) {
                    return r;
                }
            }
            return body.contains("unsupported param: tool_choice") ? TOOLS : null;
        }
    }

    private final String server;
    private final int reportedContext;
    private final Boolean templateCallsTools;
    private final Set<Refusal> refused = ConcurrentHashMap.newKeySet();

    /**
     * @param server             the base URL, for the log
     * @param reportedContext    the context a request gets, as the server reported it; 0 when unknown
     * @param templateCallsTools whether the server said its chat template can call tools; {@code null} when it did
     *                           not say (llama-server b4980 and other families)
     */
    ServerTraits(String server, int reportedContext, Boolean templateCallsTools) {
        this.server = server;
        this.reportedContext = reportedContext;
        this.templateCallsTools = templateCallsTools;
    }

    /** The context a request gets, as the server reported it; 0 when it did not. */
    int reportedContext() {
        return reportedContext;
    }

    /** Whether {@code stream_options} may be sent. */
    boolean streamOptions() {
        return !refused.contains(Refusal.STREAM_OPTIONS);
    }

    /** Whether a request with tools may be streamed. */
    boolean toolsInStream() {
        return !refused.contains(Refusal.TOOLS_IN_STREAM);
    }

    /**
     * Whether tools go in the request's {@code tools} field; otherwise they are described in the prompt. They do
     * unless the server refused them, or said that its chat template cannot call tools (a current llama-server
     * then ignores them without a word).
     */
    boolean sendsTools() {
        return !refused.contains(Refusal.TOOLS) && !Boolean.FALSE.equals(templateCallsTools);
    }

    /** Why {@link #sendsTools()} is false, in words; empty when it is true. */
    String whyNoTools() {
        if (refused.contains(Refusal.TOOLS)) {
            return "it refused them (llama-server without --jinja)";
        }
        return Boolean.FALSE.equals(templateCallsTools)
                ? "its chat template cannot call tools (/props: chat_template_caps.supports_tool_calls is false)" : "";
    }

    /** Learns a refusal, logged at INFO the first time. */
    void learn(Refusal refusal) {
        if (refused.add(refusal)) {
            LOG.info("{} {}", server, refusal.consequence);
        }
    }

    @Override
    public String toString() {
        return "context " + (reportedContext > 0 ? reportedContext : "unknown") + ", template calls tools "
                + (templateCallsTools == null ? "unknown" : templateCallsTools) + ", refused " + refused;
    }
}
