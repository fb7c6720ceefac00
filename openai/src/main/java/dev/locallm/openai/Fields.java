package dev.locallm.openai;

import dev.locallm.error.InvalidRequestException;
import tools.jackson.databind.JsonNode;

/**
 * Reads request fields strictly: a field that is present must have the right type, else an
 * {@link InvalidRequestException} naming the parameter. Absent and {@code null} fields are the same. Stateless.
 */
final class Fields {
    private Fields() {
    }

    static String requiredString(JsonNode node, String field) {
        return requiredString(node, field, null);
    }

    /** @param where the object's path in the request, such as {@code messages[2]}, or {@code null} at the top */
    static String requiredString(JsonNode node, String field, String where) {
        JsonNode v = node.get(field);
        if (v == null || !v.isString() || v.asString().isEmpty()) {
            String name = where == null ? "'" + field + "'" : where + "." + field;
            throw new InvalidRequestException(name + " must be a non-empty string", where == null ? field
                    : where.substring(0, where.contains("[") ? where.indexOf('[') : where.length()));
        }
        return v.asString();
    }

    static Double optionalDouble(JsonNode body, String field) {
        JsonNode v = present(body, field);
        if (v == null) {
            return null;
        }
        if (!v.isNumber() || !Double.isFinite(v.asDouble())) {
            throw new InvalidRequestException("'" + field + "' must be a number", field);
        }
        return v.asDouble();
    }

    static Integer optionalInteger(JsonNode body, String field) {
        JsonNode v = present(body, field);
        if (v == null) {
            return null;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw new InvalidRequestException("'" + field + "' must be an integer", field);
        }
        return v.asInt();
    }

    static int optionalInt(JsonNode body, String field, int absent) {
        Integer v = optionalInteger(body, field);
        return v == null ? absent : v;
    }

    static boolean optionalBoolean(JsonNode body, String field, boolean absent) {
        JsonNode v = present(body, field);
        if (v == null) {
            return absent;
        }
        if (!v.isBoolean()) {
            throw new InvalidRequestException("'" + field + "' must be a boolean", field);
        }
        return v.booleanValue();
    }

    /** The field's value, or {@code null} when it is absent or JSON {@code null}. */
    static JsonNode present(JsonNode body, String field) {
        JsonNode v = body.get(field);
        return v == null || v.isNull() ? null : v;
    }
}
