package dev.locallm.remote;

import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The opt-in log of what goes over the wire ({@code wire-log=true}), as OkHttp's logging interceptor writes it:
 * {@code -->} and the request line, its headers and body; {@code <--} and the status, the headers, then the body
 * or each server-sent event. Logged at INFO to {@value #LOGGER}. The API key and any header that looks like a
 * credential (a name with auth, key, token, cookie or secret in it) show as {@code ██}; bodies are cut at 64 KB.
 * Off, it costs one boolean test per call. Immutable and thread-safe.
 */
final class WireLog {
    static final String LOGGER = "dev.locallm.remote.wire";
    private static final Logger LOG = LoggerFactory.getLogger(LOGGER);
    private static final int MAX_BODY = 64 * 1024;
    private static final List<String> SECRET = List.of("auth", "key", "token", "cookie", "secret");

    private final boolean enabled;

    WireLog(boolean enabled) {
        this.enabled = enabled;
    }

    boolean enabled() {
        return enabled;
    }

    void request(HttpRequest request, byte[] body) {
        if (enabled) {
            LOG.info("--> {} {}{}{}", request.method(), request.uri(), headers(request.headers()),
                    body == null ? "" : "\n" + text(body));
        }
    }

    void response(int status, String uri, HttpHeaders headers, long startNanos) {
        if (enabled) {
            LOG.info("<-- {} {} ({} ms){}", status, uri, (System.nanoTime() - startNanos) / 1_000_000,
                    headers(headers));
        }
    }

    void body(byte[] body) {
        if (enabled) {
            LOG.info("<-- {}", text(body));
        }
    }

    void event(String data) {
        if (enabled) {
            LOG.info("<-- data: {}", data);
        }
    }

    private static String headers(HttpHeaders headers) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, List<String>> h : headers.map().entrySet()) {
            String name = h.getKey().toLowerCase(Locale.ROOT);
            boolean secret = SECRET.stream().anyMatch(name::contains);
            for (String value : h.getValue()) {
                sb.append('\n').append(h.getKey()).append(": ").append(secret ? "██" : value);
            }
        }
        return sb.toString();
    }

    private static String text(byte[] body) {
        String s = new String(body, 0, Math.min(body.length, MAX_BODY), StandardCharsets.UTF_8);
        return body.length <= MAX_BODY ? s : s + "... (" + body.length + " bytes)";
    }
}
