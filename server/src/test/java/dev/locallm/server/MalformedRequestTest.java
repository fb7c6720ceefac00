package dev.locallm.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;

/**
 * Malformed requests, one per row: each gets a 4xx with an OpenAI error body (and the expected parameter or
 * code where one is named), and the server then still answers a valid chat request from the real model.
 */
class MalformedRequestTest {
    private static final String CHAT = "/v1/chat/completions";
    private static final String EMBED = "/v1/embeddings";
    private static ServingFixture fixture;
    private static RawHttp http;

    /**
     * One malformed request. {@code expect} is the field checked in the error body: {@code param=...},
     * {@code code=...}, or empty for the status alone.
     */
    record Case(String name, String method, String path, Map<String, String> headers, byte[] body, int status,
            String expect) {
        @Override
        public String toString() {
            return name;
        }
    }

    @BeforeAll
    static void start() {
        fixture = ServingFixture.start(LocalLmServer.builder().apiKey(ServingFixture.KEY).maxBodyBytes(256 * 1024));
        http = new RawHttp(fixture.baseUrl(), ServingFixture.KEY);
    }

    @AfterAll
    static void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    private static Map<String, String> jsonAuth() {
        return Map.of("Content-Type", "application/json", "Authorization", "Bearer " + ServingFixture.KEY);
    }

    private static Case post(String name, String path, String body, int status, String expect) {
        return new Case(name, "POST", path, jsonAuth(), body.getBytes(StandardCharsets.UTF_8), status, expect);
    }

    private static Case chat(String name, String body, String expect) {
        return post(name, CHAT, body, 400, expect);
    }

    /** A chat request whose single user message is replaced by these messages. */
    private static Case messages(String name, String messages) {
        return chat(name, "{\"model\":\"stories\",\"messages\":" + messages + "}", "param=messages");
    }

    /** A valid chat request plus one field with a bad value. */
    private static Case field(String field, String value) {
        return chat(field + "=" + value, RawHttp.chat("\"" + field + "\":" + value), "param=" + field);
    }

    private static Case tools(String name, String tools) {
        return chat(name, RawHttp.chat("\"tools\":" + tools), "param=tools");
    }

    private static Case embed(String name, String body, String expect) {
        return post(name, EMBED, body, 400, expect);
    }

    static Stream<Case> cases() {
        List<Case> c = new ArrayList<>();
        for (String bad : List.of("", "{", "}", "{\"model\":", "{\"model\":\"stories\",}", "{'model':'stories'}",
                "[1,2]", "null", "\"chat\"", "42", "{} {}", "{\"model\":\"stories\" \"messages\":[]}",
                "{\"model\":NaN}", "{\"a\":\"\\u12\"}")) {
            c.add(chat("bad JSON: " + bad, bad, ""));
        }
        c.add(new Case("invalid UTF-8", "POST", CHAT, jsonAuth(),
                new byte[] {'{', '"', 'm', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'}, 400, ""));
        for (String model : List.of("1", "null", "\"\"", "[]", "{}", "true")) {
            c.add(chat("model=" + model, "{\"model\":" + model + ",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
                    "param=model"));
        }
        c.add(chat("model missing", "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", "param=model"));
        c.add(chat("messages missing", "{\"model\":\"stories\"}", "param=messages"));
        for (String m : List.of("\"hi\"", "{}", "[]", "null", "42", "[1]", "[null]", "[\"hi\"]", "[[]]",
                "[{}]", "[{\"content\":\"x\"}]", "[{\"role\":1,\"content\":\"x\"}]",
                "[{\"role\":\"wizard\",\"content\":\"x\"}]", "[{\"role\":\"function\",\"content\":\"x\"}]",
                "[{\"role\":\"USER\",\"content\":\"x\"}]", "[{\"role\":\"user\"}]",
                "[{\"role\":\"user\",\"content\":null}]", "[{\"role\":\"user\",\"content\":1}]",
                "[{\"role\":\"user\",\"content\":{}}]", "[{\"role\":\"user\",\"content\":true}]",
                "[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"http://x\"}}]}]",
                "[{\"role\":\"user\",\"content\":[{\"type\":\"text\"}]}]",
                "[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":1}]}]",
                "[{\"role\":\"user\",\"content\":[\"plain\"]}]", "[{\"role\":\"system\"}]",
                "[{\"role\":\"tool\",\"content\":\"42\"}]",
                "[{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"42\"}]",
                "[{\"role\":\"user\",\"content\":\"x\"},{\"role\":\"tool\",\"tool_call_id\":7,\"content\":\"42\"}]",
                "[{\"role\":\"assistant\",\"content\":null,\"tool_calls\":{}}]",
                "[{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"c1\"}]}]",
                "[{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"c1\",\"function\":{}}]}]",
                "[{\"role\":\"assistant\",\"tool_calls\":[{\"function\":{\"name\":\"f\"}}]}]",
                "[{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"c1\",\"function\":{\"name\":\"f\","
                        + "\"arguments\":\"{\"}}]},{\"role\":\"tool\",\"tool_call_id\":\"c2\",\"content\":\"x\"}]")) {
            c.add(messages("messages=" + m, m));
        }
        for (String[] f : new String[][] {{"temperature", "\"hot\""}, {"temperature", "-0.1"}, {"temperature", "2.5"},
                {"temperature", "[]"}, {"top_p", "0"}, {"top_p", "1.5"}, {"top_p", "\"x\""}, {"max_tokens", "0"},
                {"max_tokens", "-5"}, {"max_tokens", "1000000000"}, {"max_tokens", "\"10\""}, {"max_tokens", "1.5"},
                {"max_completion_tokens", "0"}, {"max_completion_tokens", "{}"}, {"seed", "\"x\""}, {"seed", "1.5"},
                {"seed", "1e40"}, {"stop", "1"}, {"stop", "[1]"}, {"stop", "[\"a\",2]"}, {"stop", "\"\""},
                {"stop", "[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\",\"j\",\"k\",\"l\",\"m\",\"n\",\"o\","
                        + "\"p\",\"q\"]"},
                {"stream", "\"yes\""}, {"stream", "1"}, {"stream_options", "\"usage\""}, {"n", "2"}, {"n", "0"},
                {"n", "\"1\""}, {"logprobs", "true"}, {"top_logprobs", "3"}, {"logit_bias", "{\"50256\":-100}"},
                {"frequency_penalty", "1"}, {"presence_penalty", "\"x\""}, {"response_format", "\"json\""},
                {"response_format", "{}"}, {"response_format", "{\"type\":\"xml\"}"},
                {"response_format", "{\"type\":\"json_schema\"}"},
                {"response_format", "{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\"}}"},
                {"response_format", "{\"type\":\"json_schema\",\"json_schema\":{\"schema\":\"object\"}}"},
                {"response_format", "{\"type\":\"json_schema\",\"json_schema\":{\"schema\":{\"type\":5}}}"},
                {"response_format", "{\"type\":\"json_schema\",\"json_schema\":{\"schema\":{\"type\":\"array\","
                        + "\"items\":{\"$ref\":\"https://example.com/item.json\"}}}}"},
                {"tool_choice", "\"sometimes\""}, {"tool_choice", "{\"type\":\"function\"}"}, {"tool_choice", "3"},
                {"top_k", "\"x\""}, {"min_p", "\"x\""}, {"repeat_penalty", "\"x\""}, {"truncation", "\"maybe\""}}) {
            c.add(field(f[0], f[1]));
        }
        c.add(chat("stream_options.include_usage=\"x\"", RawHttp.chat("\"stream\":true,\"stream_options\":"
                + "{\"include_usage\":\"x\"}"), "param=include_usage"));
        c.add(chat("tool_choice required without tools", RawHttp.chat("\"tool_choice\":\"required\""), ""));
        String weather = "{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":"
                + "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}}}";
        c.add(chat("tool_choice names an unknown tool", RawHttp.chat("\"tools\":[" + weather + "],\"tool_choice\":"
                + "{\"type\":\"function\",\"function\":{\"name\":\"nope\"}}"), ""));
        for (String[] t : new String[][] {{"tools not an array", "\"x\""}, {"tool not an object", "[1]"},
                {"tool type", "[{\"type\":\"retrieval\",\"function\":{\"name\":\"f\"}}]"},
                {"tool function missing", "[{\"type\":\"function\"}]"},
                {"tool function not an object", "[{\"type\":\"function\",\"function\":\"f\"}]"},
                {"tool name missing", "[{\"type\":\"function\",\"function\":{\"description\":\"d\"}}]"},
                {"tool name empty", "[{\"type\":\"function\",\"function\":{\"name\":\"\"}}]"},
                {"tool name with spaces", "[{\"type\":\"function\",\"function\":{\"name\":\"get weather\"}}]"},
                {"tool description type", "[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"description\":1}}]"},
                {"tool parameters not an object",
                        "[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":\"object\"}}]"},
                {"tool parameters invalid schema",
                        "[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{\"type\":5}}}]"},
                {"duplicate tool names", "[" + weather + "," + weather + "]"}}) {
            c.add(tools(t[0], t[1]));
        }
        c.add(post("unknown model", CHAT, RawHttp.chat("").replace("\"stories\"", "\"gpt-4o\""), 404,
                "code=model_not_found"));
        StringBuilder many = new StringBuilder("[");
        for (int i = 0; i < 1025; i++) {
            many.append(i == 0 ? "" : ",").append("{\"role\":\"user\",\"content\":\"x\"}");
        }
        c.add(messages("1025 messages", many.append("]").toString()));
        String longText = "Once upon a time there was a little dog. ".repeat(400);
        c.add(chat("prompt longer than the context", RawHttp.chat("").replace("\"Hi\"", "\"" + longText + "\""),
                "code=context_length_exceeded"));
        c.add(chat("prompt plus max_tokens over the context", RawHttp.chat("\"max_tokens\":2047"),
                "code=context_length_exceeded"));
        byte[] huge = RawHttp.chat("").replace("\"Hi\"", "\"" + "x".repeat(300 * 1024) + "\"")
                .getBytes(StandardCharsets.UTF_8);
        c.add(new Case("body over the limit", "POST", CHAT, jsonAuth(), huge, 413, "code=request_too_large"));
        byte[] twelveTimes = RawHttp.chat("").replace("\"Hi\"", "\"" + "x".repeat(3 * 1024 * 1024) + "\"")
                .getBytes(StandardCharsets.UTF_8);
        c.add(new Case("body twelve times the limit", "POST", CHAT, jsonAuth(), twelveTimes, 413,
                "code=request_too_large"));
        c.add(new Case("URI too long for Jetty", "GET", "/v1/" + "x".repeat(9000), jsonAuth(), null, 414, ""));
        c.add(new Case("headers too large for Jetty", "GET", "/v1/models", Map.of("Authorization", "Bearer "
                + "k".repeat(10_000)), null, 431, ""));
        c.add(new Case("ambiguous path", "POST", "/v1//chat/completions", jsonAuth(),
                RawHttp.chat("").getBytes(StandardCharsets.UTF_8), 400, ""));
        c.add(new Case("OPTIONS without CORS", "OPTIONS", CHAT, jsonAuth(), null, 405, "code=method_not_allowed"));
        Map<String, String> chunked = new LinkedHashMap<>(jsonAuth());
        c.add(new Case("text/plain content type", "POST", CHAT, Map.of("Content-Type", "text/plain",
                "Authorization", "Bearer " + ServingFixture.KEY), RawHttp.chat("").getBytes(StandardCharsets.UTF_8),
                415, ""));
        c.add(new Case("no content type", "POST", CHAT, Map.of("Authorization", "Bearer " + ServingFixture.KEY),
                RawHttp.chat("").getBytes(StandardCharsets.UTF_8), 415, ""));
        c.add(new Case("form content type", "POST", CHAT, Map.of("Content-Type", "application/x-www-form-urlencoded",
                "Authorization", "Bearer " + ServingFixture.KEY), "model=stories".getBytes(StandardCharsets.UTF_8),
                415, ""));
        for (String method : List.of("GET", "PUT", "DELETE", "PATCH")) {
            c.add(new Case(method + " chat", method, CHAT, chunked, null, 405, "code=method_not_allowed"));
        }
        c.add(new Case("POST models", "POST", "/v1/models", jsonAuth(), "{}".getBytes(StandardCharsets.UTF_8), 405,
                ""));
        c.add(new Case("POST health", "POST", "/health", jsonAuth(), "{}".getBytes(StandardCharsets.UTF_8), 405, ""));
        for (String path : List.of("/v1/nope", "/v2/chat/completions", "/v1/chat/completions/x", "/", "/v1")) {
            c.add(new Case("unknown path " + path, "POST", path, jsonAuth(),
                    RawHttp.chat("").getBytes(StandardCharsets.UTF_8), 404, "code=unknown_url"));
        }
        for (Map<String, String> auth : List.of(Map.of("Content-Type", "application/json"),
                Map.of("Content-Type", "application/json", "Authorization", "Bearer wrong"),
                Map.of("Content-Type", "application/json", "Authorization", ServingFixture.KEY),
                Map.of("Content-Type", "application/json", "Authorization", "Basic " + ServingFixture.KEY),
                Map.of("Content-Type", "application/json", "Authorization", "Bearer " + ServingFixture.KEY + "x"))) {
            c.add(new Case("authorization " + auth.getOrDefault("Authorization", "missing"), "POST", CHAT, auth,
                    RawHttp.chat("").getBytes(StandardCharsets.UTF_8), 401, "code=invalid_api_key"));
        }
        for (String[] p : new String[][] {{"prompt", "{\"model\":\"stories\"}"},
                {"prompt", "{\"model\":\"stories\",\"prompt\":1}"},
                {"prompt", "{\"model\":\"stories\",\"prompt\":[\"a\",\"b\"]}"},
                {"prompt", "{\"model\":\"stories\",\"prompt\":[[1,2]]}"},
                {"suffix", "{\"model\":\"stories\",\"prompt\":\"a\",\"suffix\":\"z\"}"},
                {"best_of", "{\"model\":\"stories\",\"prompt\":\"a\",\"best_of\":3}"},
                {"echo", "{\"model\":\"stories\",\"prompt\":\"a\",\"echo\":\"yes\"}"},
                {"max_tokens", "{\"model\":\"stories\",\"prompt\":\"a\",\"max_tokens\":0}"},
                {"logprobs", "{\"model\":\"stories\",\"prompt\":\"a\",\"logprobs\":5}"}}) {
            c.add(post("completions " + p[1], "/v1/completions", p[1], 400, "param=" + p[0]));
        }
        c.add(post("completions unknown model", "/v1/completions", "{\"model\":\"x\",\"prompt\":\"a\"}", 404,
                "code=model_not_found"));
        c.add(new Case("GET completions", "GET", "/v1/completions", jsonAuth(), null, 405, "code=method_not_allowed"));
        c.add(embed("embeddings input missing", "{\"model\":\"stories-embed\"}", "param=input"));
        c.add(embed("embeddings input longer than the model embeds at once", "{\"model\":\"stories-embed\",\"input\":"
                + "[\"a\",\"" + "Once upon a time ".repeat(300) + "\"]}", "param=input"));
        for (String input : List.of("1", "[]", "\"\"", "[\"a\",\"\"]", "[1,2,3]", "[[1,2]]", "{}", "null",
                "[\"a\",null]")) {
            c.add(embed("embeddings input=" + input, "{\"model\":\"stories-embed\",\"input\":" + input + "}",
                    "param=input"));
        }
        c.add(embed("embeddings encoding_format=hex", "{\"model\":\"stories-embed\",\"input\":\"a\","
                + "\"encoding_format\":\"hex\"}", "param=encoding_format"));
        c.add(embed("embeddings model missing", "{\"input\":\"a\"}", "param=model"));
        c.add(post("embeddings unknown model", EMBED, "{\"model\":\"stories\",\"input\":\"a\"}", 404,
                "code=model_not_found"));
        c.add(embed("embeddings too many inputs", "{\"model\":\"stories-embed\",\"input\":"
                + "[\"a\"" + ",\"a\"".repeat(2048) + "]}", "param=input"));
        return c.stream();
    }

    @Test
    void theTableHasAtLeastAHundredRows() {
        assertThat(cases().count()).isGreaterThanOrEqualTo(100);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void malformedRequestGetsAnOpenAiErrorAndTheServerKeepsServing(Case c) {
        HttpResponse<String> response = http.send(c.method(), c.path(), c.headers(), c.body());

        assertThat(response.statusCode()).as(c.name() + ": " + response.body()).isEqualTo(c.status());
        assertThat(response.headers().firstValue("Content-Type")).get().asString().startsWith("application/json");
        JsonNode error = RawHttp.json(response).get("error");
        assertThat(error).as(response.body()).isNotNull();
        assertThat(error.get("message").asString()).isNotBlank();
        assertThat(error.get("type").asString()).isIn("invalid_request_error", "authentication_error");
        assertThat(error.has("param")).isTrue();
        assertThat(error.has("code")).isTrue();
        if (!c.expect().isEmpty()) {
            String[] kv = c.expect().split("=", 2);
            assertThat(error.get(kv[0]).asString()).as(c.name() + ": " + response.body()).isEqualTo(kv[1]);
        }

        HttpResponse<String> valid = http.post(CHAT, RawHttp.chat("\"max_tokens\":2,\"seed\":1"));
        assertThat(valid.statusCode()).as(valid.body()).isEqualTo(200);
        assertThat(RawHttp.json(valid).at("/usage/completion_tokens").asInt()).isBetween(1, 2);
    }
}
