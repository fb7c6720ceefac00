package dev.locallm.batch;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * One line of a batch input, read: a request ({@code customId}, {@code url}, {@code body}), or the reason it is
 * none ({@code problem}, with the {@code customId} when the line had one). Immutable.
 *
 * @param number the line number, counted from 1
 * @param customId the request's id; {@code null} when the line has none
 * @param url the endpoint, one of {@link #ENDPOINTS}
 * @param body the request body, a JSON object
 * @param problem why the line is not a request; {@code null} when it is one
 */
record BatchLine(long number, String customId, String url, JsonNode body, String problem) {
    static final String CHAT = "/v1/chat/completions";
    static final String COMPLETIONS = "/v1/completions";
    static final String EMBEDDINGS = "/v1/embeddings";
    private static final java.util.List<String> ENDPOINTS = java.util.List.of(CHAT, COMPLETIONS, EMBEDDINGS);

    static BatchLine read(long number, String text) {
        JsonNode root;
        try {
            root = JsonMapper.shared().readTree(text);
        } catch (JacksonException e) {
            return invalid(number, null, "the line is not JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            return invalid(number, null, "the line must be a JSON object with custom_id, method, url and body");
        }
        JsonNode id = root.get("custom_id");
        if (id == null || !id.isString() || id.asString().isEmpty()) {
            return invalid(number, null, "'custom_id' must be a non-empty string");
        }
        String customId = id.asString();
        JsonNode method = root.get("method");
        if (method != null && !(method.isString() && method.asString().equals("POST"))) {
            return invalid(number, customId, "'method' must be POST");
        }
        JsonNode url = root.get("url");
        if (url == null || !url.isString() || !ENDPOINTS.contains(url.asString())) {
            return invalid(number, customId, "'url' must be one of " + String.join(", ", ENDPOINTS) + ", was "
                    + (url == null ? "missing" : url.toString()));
        }
        JsonNode body = root.get("body");
        if (body == null || !body.isObject()) {
            return invalid(number, customId, "'body' must be a JSON object");
        }
        return new BatchLine(number, customId, url.asString(), body, null);
    }

    private static BatchLine invalid(long number, String customId, String problem) {
        return new BatchLine(number, customId, null, null, problem);
    }
}
