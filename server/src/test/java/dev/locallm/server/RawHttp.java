package dev.locallm.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Plain HTTP/1.1 requests to a test server, with full control over method, headers and body bytes. */
final class RawHttp {
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Eventually.LIMIT).build();
    private final String root;
    private final String key;

    /** @param baseUrl the server's OpenAI base URL, ending in {@code /v1} */
    RawHttp(String baseUrl, String key) {
        this.root = baseUrl.substring(0, baseUrl.length() - "/v1".length());
        this.key = key;
    }

    HttpResponse<String> send(String method, String path, Map<String, String> headers, byte[] body) {
        // only a hang gets near the request or the connect timeout
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(root + path)).timeout(Duration.ofSeconds(120))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach(b::header);
        try {
            return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A JSON POST with the API key. */
    HttpResponse<String> post(String path, String json) {
        return send("POST", path, Map.of("Content-Type", "application/json", "Authorization", "Bearer " + key),
                json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    HttpResponse<String> get(String path) {
        return send("GET", path, Map.of("Authorization", "Bearer " + key), null);
    }

    static JsonNode json(HttpResponse<String> response) {
        return JsonMapper.shared().readTree(response.body());
    }

    /** A chat request for the test model with one user message and the given extra fields (JSON members). */
    static String chat(String extra) {
        return "{\"model\":\"" + ServingFixture.CHAT + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]"
                + (extra.isEmpty() ? "" : "," + extra) + "}";
    }

    HttpClient client() {
        return client;
    }
}
