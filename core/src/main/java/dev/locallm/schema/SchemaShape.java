package dev.locallm.schema;

import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/**
 * Checks that a schema document is well formed: every keyword that shapes validation has a value of the right
 * JSON type ({@code "type": 5} or {@code "required": "a"} are malformed), in the union of drafts 4 to 2020-12,
 * so that draft-4 forms such as {@code "exclusiveMinimum": true} or tuple {@code items} stay accepted. Unknown
 * keywords are left alone, as the drafts require. The walk is bounded in depth, so a hostile document cannot
 * exhaust the stack. Stateless; thread-safe.
 */
final class SchemaShape {
    private static final int MAX_DEPTH = 256;
    private static final Set<String> TYPES = Set.of("null", "boolean", "object", "array", "number", "integer",
            "string");
    private static final Set<String> SUBSCHEMA = Set.of("not", "additionalProperties", "additionalItems",
            "unevaluatedProperties", "unevaluatedItems", "contains", "if", "then", "else", "propertyNames",
            "contentSchema");
    private static final Set<String> SCHEMA_MAPS = Set.of("properties", "patternProperties", "$defs",
            "definitions", "dependentSchemas");
    private static final Set<String> SCHEMA_LISTS = Set.of("allOf", "anyOf", "oneOf", "prefixItems");
    private static final Set<String> COUNTS = Set.of("minLength", "maxLength", "minItems", "maxItems",
            "minProperties", "maxProperties", "minContains", "maxContains");
    private static final Set<String> NUMBERS = Set.of("minimum", "maximum", "multipleOf");
    private static final Set<String> STRINGS = Set.of("pattern", "format", "$ref", "$dynamicRef", "$id", "$anchor",
            "$schema");

    private SchemaShape() {
    }

    /** The first way {@code schema} is malformed, as {@code pointer: problem}; {@code null} when well formed. */
    static String problem(JsonNode schema) {
        return check(schema, "#", 0);
    }

    private static String check(JsonNode schema, String at, int depth) {
        if (schema.isBoolean()) {
            return null;
        }
        if (!schema.isObject()) {
            return at + ": a schema must be an object or a boolean";
        }
        if (depth > MAX_DEPTH) {
            return at + ": nested deeper than " + MAX_DEPTH + " levels";
        }
        for (Map.Entry<String, JsonNode> e : schema.properties()) {
            String key = e.getKey();
            JsonNode v = e.getValue();
            String where = at + "/" + key;
            String problem = null;
            if (key.equals("type")) {
                problem = types(v, where);
            } else if (key.equals("required")) {
                problem = v.isArray() && allStrings(v) ? null : where + ": must be an array of strings";
            } else if (key.equals("enum")) {
                problem = v.isArray() ? null : where + ": must be an array";
            } else if (key.equals("items")) {
                problem = v.isArray() ? list(v, where, depth) : check(v, where, depth + 1);
            } else if (key.equals("exclusiveMinimum") || key.equals("exclusiveMaximum")) {
                problem = v.isNumber() || v.isBoolean() ? null : where + ": must be a number";
            } else if (key.equals("dependencies")) {
                problem = v.isObject() ? null : where + ": must be an object";
            } else if (SUBSCHEMA.contains(key)) {
                problem = check(v, where, depth + 1);
            } else if (SCHEMA_MAPS.contains(key)) {
                problem = map(v, where, depth);
            } else if (SCHEMA_LISTS.contains(key)) {
                problem = !v.isArray() || v.isEmpty() && !key.equals("prefixItems")
                        ? where + ": must be a non-empty array of schemas" : list(v, where, depth);
            } else if (COUNTS.contains(key)) {
                problem = v.isIntegralNumber() && v.asLong() >= 0 || v.isNumber() && v.asDouble() >= 0
                        && v.asDouble() == Math.rint(v.asDouble()) ? null : where + ": must be a non-negative integer";
            } else if (NUMBERS.contains(key)) {
                problem = v.isNumber() && (!key.equals("multipleOf") || v.asDouble() > 0) ? null
                        : where + (key.equals("multipleOf") ? ": must be a number above 0" : ": must be a number");
            } else if (STRINGS.contains(key)) {
                problem = v.isString() ? null : where + ": must be a string";
            }
            if (problem != null) {
                return problem;
            }
        }
        return null;
    }

    private static String types(JsonNode v, String where) {
        List<JsonNode> names = v.isArray() ? v.valueStream().toList() : List.of(v);
        if (v.isArray() && v.isEmpty()) {
            return where + ": must not be empty";
        }
        for (JsonNode name : names) {
            if (!name.isString() || !TYPES.contains(name.asString())) {
                return where + ": must be one of " + TYPES + " or an array of them, got " + name;
            }
        }
        return null;
    }

    private static String map(JsonNode v, String where, int depth) {
        if (!v.isObject()) {
            return where + ": must be an object of schemas";
        }
        for (Map.Entry<String, JsonNode> e : v.properties()) {
            String problem = check(e.getValue(), where + "/" + e.getKey(), depth + 1);
            if (problem != null) {
                return problem;
            }
        }
        return null;
    }

    private static String list(JsonNode v, String where, int depth) {
        for (int i = 0; i < v.size(); i++) {
            String problem = check(v.get(i), where + "/" + i, depth + 1);
            if (problem != null) {
                return problem;
            }
        }
        return null;
    }

    private static boolean allStrings(JsonNode array) {
        for (JsonNode n : array) {
            if (!n.isString()) {
                return false;
            }
        }
        return true;
    }
}
