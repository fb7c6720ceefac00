package dev.locallm.openai;

import dev.locallm.chat.Timings;
import dev.locallm.chat.Usage;
import dev.locallm.tool.ToolCallDelta;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Streamed chat completion chunks ({@code chat.completion.chunk}): written by a server one per event, read by a
 * client with Jackson's streaming parser (one pass over the bytes, no tree for the common fields). Stateless;
 * thread-safe.
 *
 * <pre>{@code
 * StreamedChunk chunk = ChatCompletionChunks.read(event.bytes(), event.offset(), event.length());
 * }</pre>
 */
public final class ChatCompletionChunks {
    private ChatCompletionChunks() {
    }

    /**
     * A chunk of a streamed chat completion.
     *
     * @param role           the role, on the first chunk only; else {@code null}
     * @param text           the text the chunk adds, or {@code null} for none
     * @param deltas         pieces of tool calls (id and type written with a call's first piece)
     * @param finishReason   OpenAI's finish reason on the last chunk, else {@code null}
     * @param withUsageField whether to write {@code "usage": null}, as OpenAI does when usage was asked for
     */
    public static ObjectNode write(String id, long created, String model, String role, String text,
            List<ToolCallDelta> deltas, String finishReason, boolean withUsageField) {
        ObjectNode root = ChatCompletions.envelope(id, "chat.completion.chunk", created, model);
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode delta = choice.putObject("delta");
        if (role != null) {
            delta.put("role", role);
        }
        if (text != null) {
            delta.put("content", text);
        }
        if (!deltas.isEmpty()) {
            ArrayNode calls = delta.putArray("tool_calls");
            for (ToolCallDelta d : deltas) {
                ObjectNode call = calls.addObject();
                call.put("index", d.index());
                if (!d.id().isEmpty()) {
                    call.put("id", d.id());
                    call.put("type", "function");
                }
                ObjectNode f = call.putObject("function");
                if (!d.name().isEmpty()) {
                    f.put("name", d.name());
                }
                f.put("arguments", d.arguments());
            }
        }
        choice.putNull("logprobs");
        if (finishReason == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", finishReason);
        }
        if (withUsageField) {
            root.putNull("usage");
        }
        return root;
    }

    /** The last chunk of a stream that asked for usage: no choices, the usage. */
    public static ObjectNode writeUsage(String id, long created, String model, String object, Usage usage) {
        ObjectNode root = ChatCompletions.envelope(id, object, created, model);
        root.putArray("choices");
        root.set("usage", ChatCompletions.writeUsage(usage));
        return root;
    }

    /**
     * Reads a chunk (or a whole completion object) from an event's bytes.
     *
     * @throws JacksonException when the bytes are not JSON
     * @throws IllegalArgumentException when they are JSON but not an object
     */
    public static StreamedChunk read(byte[] bytes, int offset, int length) {
        return parse(bytes, offset, length).chunk();
    }

    /** Reads a chunk's fields, and where its text stands in the bytes. */
    static Reader parse(byte[] bytes, int offset, int length) {
        try (JsonParser p = JsonMapper.shared().tokenStreamFactory().createParser(ObjectReadContext.empty(), bytes,
                offset, length)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IllegalArgumentException("a chunk must be a JSON object");
            }
            Reader r = new Reader(bytes, offset);
            while (p.nextToken() == JsonToken.PROPERTY_NAME) {
                String name = p.currentName();
                p.nextToken();
                switch (name) {
                    case "choices" -> r.choices(p);
                    case "usage" -> r.usage(p);
                    case "timings" -> r.timings(p);
                    case "error" -> r.error = ErrorBodies.read(JsonMapper.shared().readTree(raw(p, bytes, offset)), "");
                    default -> p.skipChildren();
                }
            }
            return r;
        }
    }

    /**
     * The JSON text of the value the parser is at (it must start a value), as it stands in the bytes; the parser
     * is left at the value's end.
     */
    private static String raw(JsonParser p, byte[] bytes, int offset) {
        int from = offset + (int) p.currentTokenLocation().getByteOffset();
        p.skipChildren();
        int to = offset + (int) p.currentLocation().getByteOffset();
        return new String(bytes, from, to - from, StandardCharsets.UTF_8);
    }

    /**
     * What a chunk's fields add up to, while they are read; and where the text's string stood: from its opening
     * quote to after its closing one, relative to the chunk's first byte.
     */
    static final class Reader {
        final byte[] bytes;
        final int offset;
        String text;
        int texts;
        int textFrom;
        int textTo;
        final List<ToolCallDelta> calls = new ArrayList<>();
        String finishReason;
        Usage usage;
        Timings timings;
        ErrorBody error;

        Reader(byte[] bytes, int offset) {
            this.bytes = bytes;
            this.offset = offset;
        }

        StreamedChunk chunk() {
            return new StreamedChunk(text == null ? "" : text, calls, finishReason, usage, error, timings);
        }

        /** Whether the chunk says nothing but one string of text. */
        boolean textOnly() {
            return texts == 1 && calls.isEmpty() && finishReason == null && usage == null && error == null
                    && timings == null;
        }

        private void text(JsonParser p) {
            textFrom = (int) p.currentTokenLocation().getByteOffset();
            text = p.getString();
            textTo = (int) p.currentLocation().getByteOffset();
            texts++;
        }

        void choices(JsonParser p) {
            if (p.currentToken() != JsonToken.START_ARRAY) {
                p.skipChildren();
                return;
            }
            boolean first = true;
            while (p.nextToken() != JsonToken.END_ARRAY) {
                if (first && p.currentToken() == JsonToken.START_OBJECT) {
                    choice(p);
                } else {
                    p.skipChildren();
                }
                first = false;
            }
        }

        private void choice(JsonParser p) {
            while (p.nextToken() == JsonToken.PROPERTY_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                switch (name) {
                    case "delta", "message" -> delta(p);
                    case "text" -> {
                        if (value == JsonToken.VALUE_STRING) {
                            text(p);
                        }
                    }
                    case "finish_reason" -> finishReason = value == JsonToken.VALUE_STRING ? p.getString() : null;
                    default -> p.skipChildren();
                }
            }
        }

        private void delta(JsonParser p) {
            if (p.currentToken() != JsonToken.START_OBJECT) {
                p.skipChildren();
                return;
            }
            while (p.nextToken() == JsonToken.PROPERTY_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                if (name.equals("content") && value == JsonToken.VALUE_STRING) {
                    text(p);
                } else if (name.equals("tool_calls") && value == JsonToken.START_ARRAY) {
                    while (p.nextToken() == JsonToken.START_OBJECT) {
                        calls.add(call(p, bytes, offset));
                    }
                } else {
                    p.skipChildren();
                }
            }
        }

        private static ToolCallDelta call(JsonParser p, byte[] bytes, int offset) {
            int index = -1;
            String id = "";
            String name = "";
            String arguments = "";
            while (p.nextToken() == JsonToken.PROPERTY_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                if (field.equals("index") && value == JsonToken.VALUE_NUMBER_INT) {
                    index = p.getIntValue();
                } else if (field.equals("id") && value == JsonToken.VALUE_STRING) {
                    id = p.getString();
                } else if (field.equals("function") && value == JsonToken.START_OBJECT) {
                    while (p.nextToken() == JsonToken.PROPERTY_NAME) {
                        String f = p.currentName();
                        JsonToken v = p.nextToken();
                        if (f.equals("name") && v == JsonToken.VALUE_STRING) {
                            name = p.getString();
                        } else if (f.equals("arguments") && v == JsonToken.VALUE_STRING) {
                            arguments = p.getString();
                        } else if (f.equals("arguments") && (v == JsonToken.START_OBJECT || v == JsonToken.START_ARRAY)) {
                            arguments = raw(p, bytes, offset);
                        } else {
                            p.skipChildren();
                        }
                    }
                } else {
                    p.skipChildren();
                }
            }
            return new ToolCallDelta(index, id, name, arguments);
        }

        void usage(JsonParser p) {
            if (p.currentToken() != JsonToken.START_OBJECT) {
                p.skipChildren();
                return;
            }
            int prompt = 0;
            int completion = -1;
            while (p.nextToken() == JsonToken.PROPERTY_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                if (name.equals("prompt_tokens") && value == JsonToken.VALUE_NUMBER_INT) {
                    prompt = Math.max(0, p.getIntValue());
                } else if (name.equals("completion_tokens") && value == JsonToken.VALUE_NUMBER_INT) {
                    completion = Math.max(0, p.getIntValue());
                } else {
                    p.skipChildren();
                }
            }
            if (completion >= 0) {
                usage = Usage.of(prompt, completion);
            }
        }

        /** llama-server's own measure of its speed: {@code prompt_per_second} and {@code predicted_per_second}. */
        void timings(JsonParser p) {
            if (p.currentToken() != JsonToken.START_OBJECT) {
                p.skipChildren();
                return;
            }
            Timings.Builder b = Timings.builder();
            while (p.nextToken() == JsonToken.PROPERTY_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                boolean number = value == JsonToken.VALUE_NUMBER_FLOAT || value == JsonToken.VALUE_NUMBER_INT;
                double rate = number ? p.getDoubleValue() : -1;
                if (name.equals("prompt_per_second") && rate >= 0 && !Double.isInfinite(rate)) {
                    b.reportedPromptTokensPerSecond(rate);
                } else if (name.equals("predicted_per_second") && rate >= 0 && !Double.isInfinite(rate)) {
                    b.reportedDecodeTokensPerSecond(rate);
                } else {
                    p.skipChildren();
                }
            }
            Timings read = b.build();
            timings = read.hasReportedSpeed() ? read : null;
        }
    }

    /** Reads a chunk from a JSON tree, as {@link #read(byte[], int, int)} does from bytes. */
    public static StreamedChunk read(JsonNode chunk) {
        byte[] bytes = JsonMapper.shared().writeValueAsBytes(chunk);
        return read(bytes, 0, bytes.length);
    }
}
