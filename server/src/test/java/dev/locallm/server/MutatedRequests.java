package dev.locallm.server;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import tools.jackson.core.StreamWriteConstraints;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Requests for every endpoint of the server, valid ones mutated at random: values of other types, extreme numbers
 * and strings, members removed, added and repeated, structures wrapped, deepened and grown, bodies cut, padded and
 * mis-encoded, and methods, paths and credentials changed. Request {@code i} of seed {@code s} is always the same,
 * so a failure is replayed from its index.
 */
final class MutatedRequests {
    /** One request to send: {@code readBytes} &gt;= 0 means the client hangs up after reading that many bytes. */
    record Mutated(int index, String mutations, String method, String path, Map<String, String> headers,
            byte[] body, int readBytes) {
        @Override
        public String toString() {
            String text = body == null ? "" : new String(body, 0, Math.min(body.length, 300), StandardCharsets.UTF_8);
            return "#" + index + " " + method + " " + path + " [" + mutations + "] " + text;
        }
    }

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    /** Writes the deep documents the reading side must refuse. */
    private static final JsonMapper WRITER = JsonMapper.builder(JsonFactory.builder().streamWriteConstraints(
            StreamWriteConstraints.builder().maxNestingDepth(100_000).build()).build()).build();
    private static final String CHAT = "/v1/chat/completions";
    private static final String COMPLETIONS = "/v1/completions";
    private static final String EMBEDDINGS = "/v1/embeddings";
    private static final String TOOL = "{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"description\":"
            + "\"Weather in a city\",\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},"
            + "\"required\":[\"city\"]}}}";
    private static final String SCHEMA = "{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"person\",\"schema\":"
            + "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\",\"maxLength\":12},\"age\":{\"type\":"
            + "\"integer\",\"minimum\":0,\"maximum\":150}},\"required\":[\"name\",\"age\"],\"additionalProperties\":false}}}";
    /** Valid requests: endpoint, then body ({@code null} for GET). */
    private static final List<String[]> VALID = List.of(
            new String[] {CHAT, "{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
                    + "\"max_tokens\":8}"},
            new String[] {CHAT, "{\"model\":\"%s\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
                    + "{\"role\":\"user\",\"content\":\"Tell me a story\"}],\"max_completion_tokens\":16,"
                    + "\"temperature\":0.7,\"top_p\":0.9,\"seed\":7,\"stop\":[\"\\n\\n\",\"The end\"]}"},
            new String[] {CHAT, "{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"Once\"}],"
                    + "\"stream\":true,\"stream_options\":{\"include_usage\":true},\"max_tokens\":12}"},
            new String[] {CHAT, "{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"Weather in Paris?\"}],"
                    + "\"tools\":[" + TOOL + "],\"tool_choice\":\"auto\",\"max_tokens\":24}"},
            new String[] {CHAT, "{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"Weather in Paris?\"}],"
                    + "\"tools\":[" + TOOL + ",{\"type\":\"function\",\"function\":{\"name\":\"now\"}}],"
                    + "\"tool_choice\":\"required\",\"stream\":true,\"max_tokens\":40}"},
            new String[] {CHAT, "{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"Weather?\"},"
                    + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\","
                    + "\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}}]},"
                    + "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"Sunny\"}],\"tools\":[" + TOOL + "],"
                    + "\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}},\"max_tokens\":40}"},
            new String[] {CHAT, "{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\","
                    + "\"text\":\"A person\"}]}],\"response_format\":" + SCHEMA + ",\"max_tokens\":60}"},
            new String[] {CHAT, "{\"model\":\"%s\",\"messages\":[{\"role\":\"developer\",\"content\":\"JSON only\"},"
                    + "{\"role\":\"user\",\"content\":\"A cat\"}],\"response_format\":{\"type\":\"json_object\"},"
                    + "\"max_tokens\":30,\"truncation\":\"close_json\"}"},
            new String[] {COMPLETIONS, "{\"model\":\"%s\",\"prompt\":\"Once upon a time\",\"max_tokens\":8,"
                    + "\"echo\":true}"},
            new String[] {COMPLETIONS, "{\"model\":\"%s\",\"prompt\":[\"Once\"],\"stream\":true,\"max_tokens\":8,"
                    + "\"stop\":\".\",\"temperature\":0}"},
            new String[] {EMBEDDINGS, "{\"model\":\"%e\",\"input\":\"The quick brown fox\"}"},
            new String[] {EMBEDDINGS, "{\"model\":\"%e\",\"input\":[\"a\",\"b c\"],\"encoding_format\":\"base64\"}"},
            new String[] {"/v1/models", null},
            new String[] {"/v1/models/%s", null},
            new String[] {"/health", null});
    private static final List<String> FIELDS = List.of("model", "messages", "max_tokens", "max_completion_tokens", "n",
            "stop", "seed", "tools", "tool_choice", "response_format", "stream", "stream_options", "logprobs",
            "top_logprobs", "logit_bias", "temperature", "top_p", "top_k", "min_p", "repeat_penalty",
            "presence_penalty", "frequency_penalty", "user", "metadata", "parallel_tool_calls", "truncation", "echo",
            "suffix", "prompt", "input", "encoding_format", "dimensions", "role", "content", "name", "tool_call_id",
            "tool_calls", "type", "function", "arguments", "parameters", "json_schema", "schema", "strict",
            "include_usage", "\u0000", "", "__proto__");
    private static final List<String> STRINGS = List.of("", " ", "null", "0", "-1", "true", "{}", "[]",
            "stories", "stories-embed", "function", "json_schema", "auto", "required", "none", "user", "assistant",
            "tool", "system", "close_json", "base64", "float", "<|im_start|>system\n", "<|im_end|>", "</s>", "<s>",
            "\u0000", "\ud83d\ude00\u202e\u0301", "\ud800", "{{ raise_exception('x') }}", "{% for x in y %}",
            "\\u0000", "%s%n%x", "../../etc/passwd", "a".repeat(70_000), "Once upon a time ".repeat(400));
    private static final List<Number> NUMBERS = List.of(-1, 0, 1, 2, 3, 16, 512, 513, 4096, 65_536, 2_147_483_647,
            2_147_483_648L, -2_147_483_649L, Long.MAX_VALUE, Long.MIN_VALUE, 0.5, -0.0, 1e-320, 1e308, -1e308, 3.7,
            100.0, 2.0000001);
    private static final int GROWTH = 200;

    private final long seed;
    private final String chatModel;
    private final String embeddingModel;
    private final String key;

    MutatedRequests(long seed, String chatModel, String embeddingModel, String key) {
        this.seed = seed;
        this.chatModel = chatModel;
        this.embeddingModel = embeddingModel;
        this.key = key;
    }

    /** Request {@code index}: about one in ten is left valid, the others get one to three mutations. */
    Mutated get(int index) {
        Random random = new Random(seed * 1_000_003L + index);
        String[] base = VALID.get(random.nextInt(VALID.size()));
        String path = base[0].replace("%s", chatModel);
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Authorization", "Bearer " + key);
        String method = base[1] == null ? "GET" : "POST";
        JsonNode tree = base[1] == null ? null
                : JsonMapper.shared().readTree(base[1].replace("%s", chatModel).replace("%e", embeddingModel));
        if (tree != null) {
            headers.put("Content-Type", "application/json");
        }
        List<String> applied = new ArrayList<>();
        int mutations = random.nextInt(10) == 0 ? 0 : 1 + random.nextInt(3);
        byte[] body = null;
        for (int m = 0; m < mutations && tree != null; m++) {
            tree = mutateTree(tree, random, applied);
        }
        if (tree != null) {
            body = WRITER.writeValueAsBytes(tree);
        }
        int readBytes = -1;
        if (mutations > 0) {
            switch (random.nextInt(12)) {
                case 0 -> {
                    body = mutateBytes(body == null ? new byte[0] : body, random, headers, applied);
                    if (body.length == 0 && method.equals("GET")) {
                        body = null;
                    }
                }
                case 1 -> {
                    method = pick(random, List.of("GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "POST"));
                    applied.add("method " + method);
                }
                case 2 -> {
                    path = pick(random, List.of(path + "/", path.toUpperCase(), path + "?x=1&x=%00", "/v1/models/"
                            + "no-such-model", "/v1/models/%2e%2e", "/v2/chat/completions", "/v1//chat/completions",
                            "/v1/chat/completions/../models", "/" + "x".repeat(9000), "/v1/engines"));
                    applied.add("path");
                }
                case 3 -> {
                    headers.put("Authorization", pick(random, List.of("Bearer", "Bearer wrong", "Basic "
                            + key, "bearer " + key, "Bearer " + key + " ", "Bearer " + "k".repeat(10_000))));
                    applied.add("authorization");
                }
                case 4 -> {
                    headers.remove("Authorization");
                    applied.add("no authorization");
                }
                case 5 -> {
                    readBytes = random.nextInt(400);
                    applied.add("hang up after " + readBytes + " bytes");
                }
                default -> {
                }
            }
        }
        return new Mutated(index, String.join("; ", applied), method, path, headers, body, readBytes);
    }

    private JsonNode mutateTree(JsonNode root, Random random, List<String> applied) {
        List<JsonNode> containers = new ArrayList<>();
        collectContainers(root, containers);
        JsonNode target = containers.get(random.nextInt(containers.size()));
        switch (random.nextInt(9)) {
            case 0, 1 -> {
                return replaceChild(root, target, random, applied, "other value", () -> anyValue(random));
            }
            case 2 -> {
                return replaceChild(root, target, random, applied, "extreme", () -> extreme(random));
            }
            case 3 -> {
                if (target instanceof ObjectNode o && !o.isEmpty()) {
                    String name = pick(random, new ArrayList<>(o.propertyNames()));
                    o.remove(name);
                    applied.add("remove " + name);
                } else if (target instanceof ArrayNode a && !a.isEmpty()) {
                    a.remove(random.nextInt(a.size()));
                    applied.add("remove element");
                }
            }
            case 4 -> {
                if (target instanceof ObjectNode o) {
                    String name = pick(random, FIELDS);
                    o.set(name, anyValue(random));
                    applied.add("set " + name);
                } else if (target instanceof ArrayNode a) {
                    a.add(anyValue(random));
                    applied.add("append element");
                }
            }
            case 5 -> {
                if (target instanceof ArrayNode a && !a.isEmpty()) {
                    JsonNode element = a.get(random.nextInt(a.size()));
                    int copies = 1 + random.nextInt(GROWTH);
                    for (int i = 0; i < copies; i++) {
                        a.add(element.deepCopy());
                    }
                    applied.add("repeat element x" + copies);
                } else {
                    return replaceChild(root, target, random, applied, "wrapped", () -> NODES.arrayNode()
                            .add(anyValue(random)));
                }
            }
            case 6 -> {
                return replaceChild(root, target, random, applied, "deep", () -> deep(random));
            }
            case 7 -> {
                if (target instanceof ObjectNode o) {
                    for (int i = 0; i < 1 + random.nextInt(GROWTH); i++) {
                        o.put("extra_" + i, i);
                    }
                    applied.add("unknown members");
                }
            }
            default -> {
                return replaceChild(root, target, random, applied, "string", () -> NODES.stringNode(pick(random,
                        STRINGS)));
            }
        }
        return root;
    }

    private static void collectContainers(JsonNode node, List<JsonNode> into) {
        if (node.isContainer()) {
            into.add(node);
            for (JsonNode child : node) {
                collectContainers(child, into);
            }
        }
    }

    private static JsonNode replaceChild(JsonNode root, JsonNode container, Random random, List<String> applied,
            String what, java.util.function.Supplier<JsonNode> value) {
        if (container instanceof ObjectNode o && !o.isEmpty()) {
            String name = pick(random, new ArrayList<>(o.propertyNames()));
            o.set(name, value.get());
            applied.add(what + " at " + name);
        } else if (container instanceof ArrayNode a && !a.isEmpty()) {
            int i = random.nextInt(a.size());
            a.set(i, value.get());
            applied.add(what + " at [" + i + "]");
        } else if (container == root) {
            applied.add(what + " as the body");
            return value.get();
        }
        return root;
    }

    private static JsonNode anyValue(Random random) {
        return switch (random.nextInt(8)) {
            case 0 -> NODES.nullNode();
            case 1 -> NODES.booleanNode(random.nextBoolean());
            case 2, 3 -> extreme(random);
            case 4 -> NODES.stringNode(pick(random, STRINGS));
            case 5 -> NODES.objectNode();
            case 6 -> NODES.arrayNode();
            default -> NODES.objectNode().put("type", pick(random, STRINGS)).put("text", "x");
        };
    }

    private static JsonNode extreme(Random random) {
        Number n = pick(random, NUMBERS);
        if (n instanceof Integer i) {
            return NODES.numberNode(i);
        }
        if (n instanceof Long l) {
            return NODES.numberNode(l);
        }
        return random.nextInt(4) == 0 ? NODES.numberNode(new java.math.BigInteger("9".repeat(40)))
                : NODES.numberNode(n.doubleValue());
    }

    private static JsonNode deep(Random random) {
        JsonNode node = NODES.stringNode("bottom");
        int depth = 1 + random.nextInt(random.nextBoolean() ? 50 : 3000);
        for (int i = 0; i < depth; i++) {
            node = i % 2 == 0 ? NODES.arrayNode().add(node) : NODES.objectNode().set("a", node);
        }
        return node;
    }

    private static byte[] mutateBytes(byte[] body, Random random, Map<String, String> headers, List<String> applied) {
        switch (random.nextInt(10)) {
            case 0 -> {
                applied.add("cut");
                return java.util.Arrays.copyOf(body, body.length == 0 ? 0 : random.nextInt(body.length));
            }
            case 1 -> {
                byte[] copy = body.clone();
                for (int i = 0; i < 1 + random.nextInt(4) && copy.length > 0; i++) {
                    copy[random.nextInt(copy.length)] = (byte) (int) pick(random, List.of(0xFF, 0xC3, 0x80, 0xED,
                            0x00, 0x7F, (int) '"', (int) '\\', (int) '{', (int) ']'));
                }
                applied.add("bytes changed");
                return copy;
            }
            case 2 -> {
                applied.add("byte order mark");
                return concat(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, body);
            }
            case 3 -> {
                applied.add("trailing garbage");
                return concat(body, " {}garbage\u0000".getBytes(StandardCharsets.UTF_8));
            }
            case 4 -> {
                applied.add("empty body");
                return new byte[0];
            }
            case 5 -> {
                headers.put("Content-Type", pick(random, List.of("text/plain", "application/x-www-form-urlencoded",
                        "multipart/form-data; boundary=x", "application/json; charset=latin1", "application/xml",
                        "")));
                applied.add("content type " + headers.get("Content-Type"));
                return body;
            }
            case 6 -> {
                headers.remove("Content-Type");
                applied.add("no content type");
                return body;
            }
            case 7 -> {
                headers.put("Content-Encoding", pick(random, List.of("gzip", "br", "identity, gzip", "x")));
                applied.add("content encoding " + headers.get("Content-Encoding"));
                return body;
            }
            case 8 -> {
                applied.add("utf-16");
                return new String(body, StandardCharsets.UTF_8).getBytes(StandardCharsets.UTF_16);
            }
            default -> {
                applied.add("oversized");
                return concat(body, " ".repeat(3 * 1024 * 1024).getBytes(StandardCharsets.US_ASCII));
            }
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static <T> T pick(Random random, List<T> values) {
        return values.get(random.nextInt(values.size()));
    }
}
