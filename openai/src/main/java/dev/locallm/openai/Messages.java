package dev.locallm.openai;

import dev.locallm.chat.AssistantMessage;
import dev.locallm.chat.ChatMessage;
import dev.locallm.chat.SystemMessage;
import dev.locallm.chat.ToolResultMessage;
import dev.locallm.chat.UserMessage;
import dev.locallm.error.InvalidRequestException;
import dev.locallm.tool.ToolCall;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/** Chat messages as the OpenAI API writes them. Stateless. */
final class Messages {
    private static final List<String> ROLES = List.of("system", "developer", "user", "assistant", "tool");

    private Messages() {
    }

    /**
     * One message ({@code where} names it in errors). A tool message must answer a call of an earlier assistant
     * message: {@code callNames} maps the ids seen so far to their tools, and grows with this message's calls.
     */
    static ChatMessage read(JsonNode m, String where, Map<String, String> callNames) {
        if (!m.isObject()) {
            throw new InvalidRequestException(where + " must be an object", "messages");
        }
        JsonNode roleNode = m.get("role");
        if (roleNode == null || !roleNode.isString()) {
            throw new InvalidRequestException(where + ".role must be a string", "messages");
        }
        String role = roleNode.asString();
        if (!ROLES.contains(role)) {
            throw new InvalidRequestException(where + ".role '" + role + "' is not one of " + ROLES, "messages");
        }
        String content = content(m.get("content"), where, role.equals("assistant"));
        return switch (role) {
            case "system", "developer" -> SystemMessage.of(content);
            case "user" -> UserMessage.of(content);
            case "tool" -> {
                JsonNode id = m.get("tool_call_id");
                if (id == null || !id.isString()) {
                    throw new InvalidRequestException(where + ".tool_call_id must be a string", "messages");
                }
                if (!callNames.containsKey(id.asString())) {
                    throw new InvalidRequestException(where + ".tool_call_id '" + id.asString() + "' answers no tool "
                            + "call of an earlier assistant message", "messages");
                }
                yield ToolResultMessage.of(id.asString(), callNames.get(id.asString()), content);
            }
            default -> {
                JsonNode toolCalls = Fields.present(m, "tool_calls");
                List<ToolCall> calls = toolCalls == null ? List.of()
                        : ToolDefinitions.readCalls(toolCalls, where + ".tool_calls", "messages");
                calls.forEach(c -> callNames.put(c.id(), c.name()));
                yield new AssistantMessage(content, calls);
            }
        };
    }

    /** A string, or an array of text parts; {@code null} only for assistant turns. */
    private static String content(JsonNode c, String where, boolean nullable) {
        if (c == null || c.isNull()) {
            if (nullable) {
                return "";
            }
            throw new InvalidRequestException(where + ".content is required", "messages");
        }
        if (c.isString()) {
            return c.asString();
        }
        if (!c.isArray()) {
            throw new InvalidRequestException(where + ".content must be a string or an array of content parts",
                    "messages");
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < c.size(); i++) {
            JsonNode part = c.get(i);
            String type = part.isObject() && part.has("type") ? part.get("type").asString("") : "";
            if (!type.equals("text")) {
                throw new InvalidRequestException(where + ".content[" + i + "]: only 'text' parts are supported, got '"
                        + type + "'", "messages");
            }
            JsonNode text = part.get("text");
            if (text == null || !text.isString()) {
                throw new InvalidRequestException(where + ".content[" + i + "].text must be a string", "messages");
            }
            sb.append(text.asString());
        }
        return sb.toString();
    }

    /** One message; an assistant turn of calls only has {@code "content": null}, as OpenAI writes it. */
    static ObjectNode write(ChatMessage m) {
        ObjectNode node = JsonMapper.shared().createObjectNode();
        if (m instanceof SystemMessage s) {
            node.put("role", "system").put("content", s.text());
        } else if (m instanceof UserMessage u) {
            node.put("role", "user").put("content", u.text());
        } else if (m instanceof ToolResultMessage t) {
            node.put("role", "tool").put("tool_call_id", t.toolCallId()).put("content", t.text());
            if (!t.toolName().isEmpty()) {
                node.put("name", t.toolName());
            }
        } else if (m instanceof AssistantMessage a) {
            node.put("role", "assistant");
            if (a.text().isEmpty() && !a.toolCalls().isEmpty()) {
                node.putNull("content");
            } else {
                node.put("content", a.text());
            }
            if (!a.toolCalls().isEmpty()) {
                node.set("tool_calls", ToolDefinitions.writeCalls(a.toolCalls()));
            }
        }
        return node;
    }
}
