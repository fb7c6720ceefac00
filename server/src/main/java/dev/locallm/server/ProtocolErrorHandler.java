package dev.locallm.server;

import dev.locallm.openai.ErrorBodies;
import dev.locallm.openai.ErrorBody;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Answers what Jetty refuses before a request reaches {@link OpenAiHandler} (a URI or headers too long, an
 * ambiguous path, a malformed request line) with an OpenAI error body instead of Jetty's HTML page, so that every
 * client sees one error format. A 5xx says only its reason phrase, never an exception's text. The answer says
 * {@code Connection: close}: Jetty closes a connection it could not parse a request on, and a client that reused
 * it would send its next request into a closed socket. Stateless and thread-safe.
 */
final class ProtocolErrorHandler extends ErrorHandler {
    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        int status = response.getStatus();
        Object detail = request.getAttribute(ERROR_MESSAGE);
        String reason = HttpStatus.getMessage(status);
        String message = status < 500 && detail instanceof String s && !s.isBlank() && !s.equals(reason)
                ? reason + ": " + s : reason;
        String type = status >= 500 ? "server_error" : "invalid_request_error";
        response.getHeaders().put(HttpHeader.CONNECTION, "close");
        if (status == 503) {
            response.getHeaders().put(HttpHeader.RETRY_AFTER, "1");
        }
        OpenAiHandler.writeJson(response, callback, status,
                ErrorBodies.write(ErrorBody.builder(type, message).build()));
        return true;
    }
}
