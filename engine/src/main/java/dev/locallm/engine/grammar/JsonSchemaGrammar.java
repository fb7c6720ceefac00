package dev.locallm.engine.grammar;

import static dev.locallm.engine.grammar.GrammarExpr.alt;
import static dev.locallm.engine.grammar.GrammarExpr.literal;
import static dev.locallm.engine.grammar.GrammarExpr.optional;
import static dev.locallm.engine.grammar.GrammarExpr.seq;

import dev.locallm.error.UnsupportedSchemaException;
import dev.locallm.schema.JsonSchema;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Compiles a JSON schema to a {@link Grammar} whose sentences are JSON texts that validate against the schema.
 *
 * <p>The grammar is <em>sound</em> rather than complete: everything it generates is valid, but it may generate
 * fewer texts than the schema allows. Objects list required properties first, then optional ones, in schema
 * order, and get no properties the schema does not name; strings that must match a {@code pattern} match it as a
 * whole; white space is limited to what keeps output readable. Keywords it cannot enforce make compilation fail
 * with {@link UnsupportedSchemaException} naming the keyword and its JSON pointer; annotations ({@code title},
 * {@code description}, {@code default}, {@code examples}...) are ignored as they constrain nothing.
 *
 * <p>Supported: {@code type} (and unions), {@code properties}, {@code required}, {@code additionalProperties},
 * {@code enum}, {@code const}, {@code items}, {@code prefixItems}, {@code minItems}, {@code maxItems},
 * {@code anyOf}, {@code oneOf}, {@code allOf} (of object schemas), {@code $ref} into the same document with
 * {@code $defs}/{@code definitions} and recursion, {@code minLength}, {@code maxLength}, {@code pattern},
 * {@code format} (date, time, date-time, uuid, email, uri, ipv4), integer {@code minimum}/{@code maximum} and
 * their exclusive forms, and a number {@code minimum} of 0. Stateless; thread-safe.
 */
public final class JsonSchemaGrammar {
    /** Bound on counted repetitions (string lengths, array sizes) that a grammar spells out. */
    static final int MAX_COUNT = 10_000;
    /** Digits an unbounded integer may have. */
    private static final int MAX_DIGITS = 15;

    private static final Map<String, String> FORMATS = Map.of(
            "date", "[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])",
            "time", "([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,6})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])",
            "date-time", "[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
                    + "(\\.[0-9]{1,6})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])",
            "uuid", "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
            "email", "[a-z][a-z0-9]{0,31}(\\.[a-z][a-z0-9]{0,31}){0,2}@[a-z][a-z0-9]{0,31}(\\.[a-z][a-z0-9]{0,31}){0,2}"
                    + "\\.(com|org|net|io|dev|info|de|fr|uk|jp)",
            "uri", "https?://[a-z][a-z0-9]{0,31}(\\.[a-z][a-z0-9]{0,31}){0,3}(/[a-zA-Z0-9._~-]{1,32}){0,8}",
            "ipv4", "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}");

    /**
     * The formats the specification defines, which a validator may assert; any other format is a custom
     * annotation, and constrains nothing.
     */
    private static final Set<String> SPECIFIED_FORMATS = Set.of("date-time", "date", "time", "duration", "email",
            "idn-email", "hostname", "idn-hostname", "ipv4", "ipv6", "uri", "uri-reference", "iri", "iri-reference",
            "uuid", "uri-template", "json-pointer", "relative-json-pointer", "regex");

    /** Deepest nesting of schemas the compiler follows. */
    static final int MAX_DEPTH = 128;
    /** Most rules a schema's grammar may have. */
    static final int MAX_RULES = 100_000;
    /**
     * Longest a compilation may take, a last guard for a server: the rule cap stops a schema that is too large
     * long before, and does so whatever the machine's speed.
     */
    static final java.time.Duration COMPILE_BUDGET = java.time.Duration.ofSeconds(5);

    /** Most alternatives of an {@code enum}, {@code anyOf} or {@code oneOf}. */
    static final int MAX_ALTERNATIVES = 1024;

    private static final Logger LOG = LoggerFactory.getLogger(JsonSchemaGrammar.class);

    private final JsonNode document;
    private final SchemaDialect dialect;
    private final JsonLayout layout;
    private final GrammarBuilder b;
    private int depth;
    private final long deadline = System.nanoTime() + COMPILE_BUDGET.toNanos();
    private final Map<String, Integer> refRules = new HashMap<>();
    private final Map<String, Integer> common;

    /**
     * A compiler for one schema document that adds its rules to {@code builder}; {@code common} shares the
     * rules every document needs (white space, string characters, any value) between compilers of one grammar.
     */
    JsonSchemaGrammar(GrammarBuilder builder, Map<String, Integer> common, JsonNode document, boolean anyLayout) {
        this.b = builder;
        this.common = common;
        this.document = document;
        this.dialect = SchemaDialect.of(document);
        this.layout = anyLayout ? JsonLayout.ANY : JsonLayout.of(document);
    }

    /**
     * Compiles a schema.
     *
     * @throws UnsupportedSchemaException when the schema uses something a grammar cannot enforce
     */
    public static Grammar compile(JsonSchema schema) {
        return compile(schema, MAX_RULES, false);
    }

    /**
     * Compiles a schema into a grammar that accepts its JSON in any layout (white space wherever JSON allows it),
     * to close JSON that was written without the grammar.
     *
     * @throws UnsupportedSchemaException when the schema uses something a grammar cannot enforce
     */
    public static Grammar compileForAnyLayout(JsonSchema schema) {
        return compile(schema, MAX_RULES, true);
    }

    /** Compiles a schema into a grammar of at most {@code maxRules} rules. */
    static Grammar compile(JsonSchema schema, int maxRules) {
        return compile(schema, maxRules, false);
    }

    private static Grammar compile(JsonSchema schema, int maxRules, boolean anyLayout) {
        GrammarBuilder builder = new GrammarBuilder(maxRules);
        JsonSchemaGrammar compiler = new JsonSchemaGrammar(builder, new HashMap<>(),
                JsonMapper.shared().readTree(schema.toJson()), anyLayout);
        try {
            int root = builder.declare("root");
            builder.define(root, seq(compiler.padding(), compiler.document(), compiler.padding()));
            return build(builder, root);
        } catch (GrammarBuilder.TooLargeException e) {
            throw tooLarge(maxRules);
        }
    }

    /** The error for a schema whose grammar would need more than {@code maxRules} rules. */
    static UnsupportedSchemaException tooLarge(int maxRules) {
        return new UnsupportedSchemaException("$schema", "#", "the schema needs a grammar of more than " + maxRules
                + " rules");
    }

    /** Builds, reporting a schema whose recursion never ends as unsupported. */
    static Grammar build(GrammarBuilder builder, int root) {
        try {
            return builder.build(root);
        } catch (GrammarException e) {
            throw new UnsupportedSchemaException("$ref", "#", "the schema " + e.getMessage().replace("rule", "part")
                    + "; it admits no finite JSON value to generate");
        }
    }

    /** The expression for the whole document. */
    GrammarExpr document() {
        return value(document, "#");
    }

    // ---- values

    private GrammarExpr value(JsonNode schema, String pointer) {
        if (System.nanoTime() - deadline > 0) {
            throw new UnsupportedSchemaException("$schema", pointer, "compiling the schema took longer than "
                    + COMPILE_BUDGET.toMillis() + " ms");
        }
        if (++depth > MAX_DEPTH) {
            throw new UnsupportedSchemaException("$schema", pointer, "schemas nested deeper than " + MAX_DEPTH
                    + " levels are not supported");
        }
        try {
            return valueAtDepth(schema, pointer);
        } finally {
            depth--;
        }
    }

    private GrammarExpr valueAtDepth(JsonNode schema, String pointer) {
        if (schema.isBoolean()) {
            if (!schema.booleanValue()) {
                throw new UnsupportedSchemaException("false", pointer, "the schema 'false' matches no value");
            }
            return any();
        }
        if (!schema.isObject()) {
            throw new UnsupportedSchemaException("$schema", pointer, "a schema must be an object or a boolean");
        }
        checkKeywords(schema, pointer);
        checkShapes(schema, pointer);
        if (!pointer.equals("#") && nestedResource(schema)) {
            throw new UnsupportedSchemaException("$id", pointer, "a schema resource inside the document (an $id "
                    + "other than an anchor) changes what its references mean, and is not supported");
        }
        if (schema.has("$ref")) {
            return ref(schema, pointer);
        }
        if (asserts(schema, "const") || schema.has("enum")) {
            return constantValues(schema, pointer);
        }
        for (String combinator : List.of("anyOf", "oneOf")) {
            if (schema.has(combinator)) {
                JsonNode subs = schema.get(combinator);
                if (!subs.isArray() || subs.isEmpty()) {
                    throw new UnsupportedSchemaException(combinator, pointer, combinator + " must be a non-empty array");
                }
                boolean besides = hasConstraintsBesides(schema, combinator);
                if (combinator.equals("oneOf") && !disjoint(subs, pointer)) {
                    throw new UnsupportedSchemaException("oneOf", pointer, "oneOf needs exactly one branch to match; "
                            + "enforceable only when branches differ in type, in constant values, or in a constant "
                            + "discriminator property");
                }
                List<GrammarExpr> options = new ArrayList<>();
                for (int i = 0; i < subs.size(); i++) {
                    JsonNode branch = besides ? withAllOfPart(schema, combinator, subs.get(i)) : subs.get(i);
                    options.add(value(branch, pointer + "/" + combinator + "/" + i));
                }
                return new GrammarExpr.Alt(options);
            }
        }
        if (schema.has("allOf")) {
            return value(mergeAllOf(schema, pointer), pointer);
        }
        List<String> types = types(schema, pointer);
        if (types.isEmpty()) {
            return any();
        }
        List<GrammarExpr> options = new ArrayList<>();
        for (String type : types) {
            options.add(typed(type, schema, pointer));
        }
        return options.size() == 1 ? options.get(0) : new GrammarExpr.Alt(options);
    }

    /**
     * The values a {@code const} or {@code enum} allows; with other assertions beside it, only the values that
     * also satisfy those (checked by the validator on the schema object alone, which must then hold no
     * {@code $ref}).
     */
    private GrammarExpr constantValues(JsonNode schema, String pointer) {
        List<JsonNode> values = new ArrayList<>();
        if (asserts(schema, "const")) {
            values.add(schema.get("const"));
        } else {
            JsonNode enumeration = schema.get("enum");
            if (!enumeration.isArray() || enumeration.isEmpty()) {
                throw new UnsupportedSchemaException("enum", pointer, "enum must be a non-empty array");
            }
            enumeration.forEach(values::add);
        }
        String keyword = asserts(schema, "const") ? "const" : "enum";
        boolean others = false;
        for (String name : schema.propertyNames()) {
            others |= !name.equals("const") && !name.equals("enum") && asserts(schema, name);
        }
        if (others) {
            if (schema.toString().contains("\"$ref\"")) {
                throw new UnsupportedSchemaException(keyword, pointer, keyword + " together with a $ref");
            }
            ObjectNode alone = ((ObjectNode) schema).deepCopy();
            if (document.isObject() && document.has("$schema")) {
                alone.set("$schema", document.get("$schema"));
            }
            JsonSchema check;
            try {
                check = JsonSchema.parse(alone.toString());
            } catch (dev.locallm.error.InvalidRequestException e) {
                throw new UnsupportedSchemaException(keyword, pointer, e.getMessage());
            }
            values.removeIf(v -> !check.validate(v.toString()).isEmpty());
            if (values.isEmpty()) {
                throw new UnsupportedSchemaException(keyword, pointer, "no value of the " + keyword
                        + " satisfies the keywords beside it");
            }
        }
        List<GrammarExpr> options = new ArrayList<>();
        values.forEach(v -> options.add(jsonLiteral(v)));
        return options.size() == 1 ? options.get(0) : new GrammarExpr.Alt(options);
    }

    /** Whether a schema opens a resource of its own: an {@code $id} (draft 4: {@code id}) that is not an anchor. */
    private boolean nestedResource(JsonNode schema) {
        JsonNode id = schema.get(dialect == SchemaDialect.DRAFT_04 ? "id" : "$id");
        return id != null && id.isString() && !id.stringValue().startsWith("#");
    }

    private boolean hasConstraintsBesides(JsonNode schema, String keyword) {
        for (String name : schema.propertyNames()) {
            if (!name.equals(keyword) && asserts(schema, name)) {
                return true;
            }
        }
        return false;
    }

    private List<String> types(JsonNode schema, String pointer) {
        JsonNode type = schema.get("type");
        List<String> types = new ArrayList<>();
        if (type == null) {
            if (hasAny(schema, "properties", "required", "additionalProperties", "unevaluatedProperties",
                    "minProperties", "maxProperties")) {
                types.add("object");
            } else if (hasAny(schema, "items", "prefixItems", "minItems", "maxItems", "uniqueItems")) {
                types.add("array");
            } else if (hasAny(schema, "minLength", "maxLength", "pattern", "format")) {
                types.add("string");
            } else if (hasAny(schema, "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")) {
                types.add("number");
            }
            return types;
        }
        if (type.isString()) {
            types.add(type.stringValue());
        } else if (type.isArray()) {
            type.forEach(t -> types.add(t.asString()));
        } else {
            throw new UnsupportedSchemaException("type", pointer, "type must be a string or an array of strings");
        }
        if (types.contains("number") && types.contains("integer")) {
            types.remove("integer");
        }
        return types;
    }

    // ---- oneOf

    /** Whether no value can match two branches: distinct types, distinct constants, or a distinct discriminator. */
    private boolean disjoint(JsonNode branches, String pointer) {
        List<JsonNode> resolved = new ArrayList<>();
        for (JsonNode b : branches) {
            resolved.add(deref(b, pointer));
        }
        List<Set<String>> kinds = new ArrayList<>();
        for (JsonNode b : resolved) {
            kinds.add(kinds(b, pointer));
        }
        if (pairwiseDisjoint(kinds)) {
            return true;
        }
        List<Set<String>> constants = new ArrayList<>();
        for (JsonNode b : resolved) {
            Set<JsonNode> values = constants(b);
            if (values == null) {
                constants = null;
                break;
            }
            constants.add(canonical(values));
        }
        if (constants != null && pairwiseDisjoint(constants)) {
            return true;
        }
        return discriminated(resolved);
    }

    private static <T> boolean pairwiseDisjoint(List<Set<T>> sets) {
        for (int i = 0; i < sets.size(); i++) {
            for (int j = i + 1; j < sets.size(); j++) {
                for (T t : sets.get(i)) {
                    if (sets.get(j).contains(t)) {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    /**
     * The JSON types a branch can produce, with integer counted as number: only an explicit {@code type} (or
     * constants) narrows them, since keywords of one type say nothing about values of another.
     */
    private Set<String> kinds(JsonNode b, String pointer) {
        Set<String> all = Set.of("object", "array", "string", "number", "boolean", "null");
        if (!b.isObject()) {
            return all;
        }
        Set<JsonNode> values = constants(b);
        Set<String> out = new LinkedHashSet<>();
        if (values != null) {
            values.forEach(v -> out.add(v.isNumber() ? "number" : v.isObject() ? "object" : v.isArray() ? "array"
                    : v.isString() ? "string" : v.isBoolean() ? "boolean" : "null"));
            return out;
        }
        if (b.has("anyOf") || b.has("oneOf") || b.has("allOf") || !b.has("type")) {
            return all;
        }
        List<String> types = types(b, pointer);
        types.forEach(t -> out.add(t.equals("integer") ? "number" : t));
        return out;
    }

    /** The values of a {@code const} or {@code enum} branch, or {@code null} when it is not one. */
    private Set<JsonNode> constants(JsonNode b) {
        if (b.isObject() && asserts(b, "const")) {
            return Set.of(b.get("const"));
        }
        if (b.isObject() && b.has("enum") && b.get("enum").isArray()) {
            Set<JsonNode> values = new LinkedHashSet<>();
            b.get("enum").forEach(values::add);
            return values;
        }
        return null;
    }

    /** Values as JSON compares them: numbers by value (1 equals 1.0), object members in any order. */
    private static Set<String> canonical(Set<JsonNode> values) {
        Set<String> out = new LinkedHashSet<>();
        values.forEach(v -> out.add(canonical(v)));
        return out;
    }

    private static String canonical(JsonNode v) {
        if (v.isNumber()) {
            return v.decimalValue().stripTrailingZeros().toPlainString();
        }
        if (v.isArray()) {
            List<String> items = new ArrayList<>();
            v.forEach(item -> items.add(canonical(item)));
            return items.toString();
        }
        if (v.isObject()) {
            Map<String, String> members = new java.util.TreeMap<>();
            v.propertyNames().forEach(name -> members.put(name, canonical(v.get(name))));
            return members.toString();
        }
        return v.toString();
    }

    /** Whether all branches are objects requiring one property whose constant values differ. */
    private boolean discriminated(List<JsonNode> branches) {
        JsonNode first = branches.get(0);
        if (!first.isObject() || !first.has("properties")) {
            return false;
        }
        for (String candidate : first.get("properties").propertyNames()) {
            List<Set<String>> values = new ArrayList<>();
            for (JsonNode b : branches) {
                JsonNode prop = b.isObject() && b.has("properties") ? b.get("properties").get(candidate) : null;
                boolean required = b.has("required") && b.get("required").toString().contains("\"" + candidate + "\"");
                Set<JsonNode> constant = prop == null ? null : constants(prop);
                if (constant == null || !required) {
                    values = null;
                    break;
                }
                values.add(canonical(constant));
            }
            if (values != null && pairwiseDisjoint(values)) {
                return true;
            }
        }
        return false;
    }

    /**
     * A branch of a combinator together with the keywords beside the combinator: the schema without
     * {@code keyword}, with the branch added to its {@code allOf}. An instance matches one branch and the rest
     * exactly when it matches one of these.
     */
    private static JsonNode withAllOfPart(JsonNode schema, String keyword, JsonNode branch) {
        ObjectNode copy = ((ObjectNode) schema).deepCopy();
        copy.remove(keyword);
        JsonNode allOf = copy.get("allOf");
        (allOf != null && allOf.isArray() ? (ArrayNode) allOf : copy.putArray("allOf")).add(branch);
        return copy;
    }

    private static boolean hasAny(JsonNode schema, String... keywords) {
        for (String k : keywords) {
            if (schema.has(k)) {
                return true;
            }
        }
        return false;
    }

    private GrammarExpr typed(String type, JsonNode schema, String pointer) {
        return switch (type) {
            case "string" -> string(schema, pointer);
            case "integer" -> integer(schema, pointer);
            case "number" -> number(schema, pointer);
            case "boolean" -> alt(literal("true"), literal("false"));
            case "null" -> literal("null");
            case "object" -> own("object", object(schema, pointer));
            case "array" -> own("array", array(schema, pointer));
            default -> throw new UnsupportedSchemaException("type", pointer, "unknown type '" + type + "'");
        };
    }

    // ---- keywords

    /** The assertions a grammar enforces (some only in part: the methods below refuse the rest). */
    private static final Set<String> SUPPORTED = Set.of("type", "properties", "required", "additionalProperties", "enum",
            "const", "items", "prefixItems", "minItems", "maxItems", "anyOf", "oneOf", "allOf", "$ref", "minLength",
            "maxLength", "pattern", "format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
            "multipleOf", "uniqueItems", "minProperties", "maxProperties", "unevaluatedProperties", "additionalItems");

    /** Keyword values of the wrong JSON type make the schema malformed: refused, not guessed at. */
    private void checkShapes(JsonNode schema, String pointer) {
        for (String name : schema.propertyNames()) {
            if (!dialect.isAssertion(name)) {
                continue;
            }
            JsonNode v = schema.get(name);
            boolean ok = switch (name) {
                case "properties" -> v.isObject();
                case "required" -> v.isArray() && allMatch(v, JsonNode::isString);
                case "enum", "prefixItems" -> v.isArray();
                case "anyOf", "oneOf", "allOf" -> v.isArray() && !v.isEmpty();
                case "items" -> v.isObject() || v.isBoolean() || v.isArray();
                case "additionalProperties", "unevaluatedProperties", "additionalItems" -> v.isObject() || v.isBoolean();
                case "minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties", "minimum",
                     "maximum", "multipleOf" -> v.isNumber();
                case "exclusiveMinimum", "exclusiveMaximum" -> v.isNumber() || v.isBoolean();
                case "pattern", "format", "$ref" -> v.isString();
                case "uniqueItems" -> v.isBoolean();
                default -> true;
            };
            if (!ok) {
                throw new UnsupportedSchemaException(name, pointer, "malformed value " + abbreviate(v.toString()));
            }
        }
        for (String name : List.of("enum", "anyOf", "oneOf")) {
            if (schema.has(name) && schema.get(name).size() > MAX_ALTERNATIVES) {
                throw new UnsupportedSchemaException(name, pointer, "more than " + MAX_ALTERNATIVES + " alternatives");
            }
        }
    }

    private static boolean allMatch(JsonNode array, java.util.function.Predicate<JsonNode> test) {
        for (JsonNode n : array) {
            if (!test.test(n)) {
                return false;
            }
        }
        return true;
    }

    private static String abbreviate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }

    /**
     * Refuses the assertions a grammar cannot enforce; every keyword that asserts nothing here (an annotation, a
     * keyword of another dialect, a vendor extension) is ignored.
     */
    private void checkKeywords(JsonNode schema, String pointer) {
        for (String name : schema.propertyNames()) {
            if (!asserts(schema, name)) {
                if (LOG.isDebugEnabled() && !dialect.isAssertion(name)) {
                    LOG.debug("Ignoring '{}' at {}: not an assertion of JSON Schema {}", name, pointer, dialect);
                }
                continue;
            }
            if (!SUPPORTED.contains(name)) {
                throw new UnsupportedSchemaException(name, pointer, "a grammar cannot enforce '" + name + "'");
            }
        }
        JsonNode unique = schema.get("uniqueItems");
        if (unique != null && unique.asBoolean(false)) {
            throw new UnsupportedSchemaException("uniqueItems", pointer, "a grammar cannot keep array items distinct");
        }
    }

    /**
     * Whether a keyword of this schema can make an instance invalid: an assertion of the dialect that is not
     * inert where it stands ({@code then} without {@code if}, {@code additionalItems} without an {@code items}
     * array, ...; these the specification says to ignore).
     */
    private boolean asserts(JsonNode schema, String keyword) {
        if (!schema.has(keyword) || !dialect.isAssertion(keyword)) {
            return false;
        }
        return switch (keyword) {
            case "if" -> schema.has("then") || schema.has("else");
            case "then", "else" -> schema.has("if");
            case "minContains", "maxContains" -> schema.has("contains");
            case "additionalItems" -> schema.has("items") && schema.get("items").isArray();
            case "uniqueItems" -> schema.get(keyword).asBoolean(true);
            case "format" -> SPECIFIED_FORMATS.contains(schema.get(keyword).asString(""));
            default -> true;
        };
    }

    // ---- $ref

    private GrammarExpr ref(JsonNode schema, String pointer) {
        String ref = local(schema.get("$ref").asString(), pointer);
        if (!dialect.refHidesSiblings() && hasConstraintsBesides(schema, "$ref")) {
            JsonNode merged = withAllOfPart(schema, "$ref", JsonMapper.shared().createObjectNode().put("$ref", ref));
            return rule("&" + merged, "ref-and", () -> value(merged, pointer));
        }
        return rule(ref, ref.length() > 1 ? ref.substring(ref.lastIndexOf('/') + 1) : "root-ref",
                () -> value(resolve(ref, pointer), ref));
    }

    /** The rule compiled once per key, declared before its body so that the body may refer to it. */
    private GrammarExpr rule(String key, String nameHint, java.util.function.Supplier<GrammarExpr> body) {
        Integer rule = refRules.get(key);
        if (rule == null) {
            rule = b.declare(nameHint);
            refRules.put(key, rule);
            b.define(rule, body.get());
        }
        return new GrammarExpr.Ref(rule);
    }

    /** A schema that is only a reference (its siblings assert nothing), followed to what it points at. */
    private JsonNode deref(JsonNode schema, String pointer) {
        JsonNode node = schema;
        for (int hops = 0; node.isObject() && node.has("$ref")
                && (dialect.refHidesSiblings() || !hasConstraintsBesides(node, "$ref")); hops++) {
            if (hops == MAX_DEPTH) {
                throw new UnsupportedSchemaException("$ref", pointer, "references that only lead to other "
                        + "references, " + MAX_DEPTH + " deep or in a loop");
            }
            node = resolve(local(node.get("$ref").asString(), pointer), pointer);
        }
        return node;
    }

    /**
     * A reference as a fragment of this document ({@code #...}): a reference that names the document itself
     * (its {@code $id}, or draft 4's {@code id}, absolute or relative) keeps its fragment. Anything else is a
     * resource that a grammar compiler does not fetch.
     */
    private String local(String ref, String pointer) {
        if (ref.startsWith("#")) {
            return ref;
        }
        JsonNode id = document.isObject() ? document.has("$id") ? document.get("$id") : document.get("id") : null;
        try {
            URI target = new URI(ref);
            if (id != null && id.isString()) {
                URI base = new URI(id.stringValue());
                target = base.resolve(target);
                if (withoutFragment(target).equals(withoutFragment(base))) {
                    return "#" + (target.getRawFragment() == null ? "" : target.getRawFragment());
                }
            }
        } catch (URISyntaxException | IllegalArgumentException e) {
            throw new UnsupportedSchemaException("$ref", pointer, "'" + abbreviate(ref) + "' is not a URI reference");
        }
        throw new UnsupportedSchemaException("$ref", pointer, "'" + abbreviate(ref) + "' is a remote reference, "
                + "which is never fetched; only references inside the schema are supported");
    }

    private static URI withoutFragment(URI uri) throws URISyntaxException {
        return new URI(uri.getScheme(), uri.getRawSchemeSpecificPart() == null ? null
                : uri.getSchemeSpecificPart(), null);
    }

    private JsonNode resolve(String ref, String pointer) {
        JsonNode node = document;
        String path = ref.substring(1);
        if (path.isEmpty()) {
            return node;
        }
        if (!path.startsWith("/")) {
            JsonNode anchored = anchor(document, URLDecoder.decode(path, StandardCharsets.UTF_8), pointer);
            if (anchored == null) {
                throw new UnsupportedSchemaException("$ref", pointer, "no schema has the anchor '" + abbreviate(ref)
                        + "'");
            }
            return anchored;
        }
        for (String part : path.substring(1).split("/", -1)) {
            String key = URLDecoder.decode(part, StandardCharsets.UTF_8).replace("~1", "/").replace("~0", "~");
            node = node.isArray() && key.matches("\\d+") ? node.get(Integer.parseInt(key)) : node.get(key);
            if (node == null) {
                throw new UnsupportedSchemaException("$ref", pointer, "'" + ref + "' points at nothing");
            }
        }
        return node;
    }

    /**
     * The schema that declares an anchor: {@code $anchor} or {@code $dynamicAnchor} (2019-09 on), or an
     * {@code $id} / draft 4 {@code id} of the form {@code #name}. Searched without recursion, in schema positions
     * only (not in {@code const}, {@code enum}, {@code default} or {@code examples} data); an anchor declared
     * twice is refused.
     */
    private static JsonNode anchor(JsonNode root, String name, String pointer) {
        java.util.ArrayDeque<JsonNode> pending = new java.util.ArrayDeque<>();
        pending.push(root);
        JsonNode found = null;
        while (!pending.isEmpty()) {
            JsonNode node = pending.pop();
            if (node.isObject()) {
                boolean declares = false;
                for (String key : List.of("$anchor", "$dynamicAnchor")) {
                    declares |= node.path(key).isString() && node.get(key).stringValue().equals(name);
                }
                for (String key : List.of("$id", "id")) {
                    declares |= node.path(key).isString() && node.get(key).stringValue().equals("#" + name);
                }
                if (declares && found != null && found != node) {
                    throw new UnsupportedSchemaException("$ref", pointer, "the anchor '" + abbreviate(name)
                            + "' is declared twice");
                }
                found = declares ? node : found;
                for (String key : node.propertyNames()) {
                    if (!DATA_KEYWORDS.contains(key)) {
                        pending.push(node.get(key));
                    }
                }
            } else if (node.isArray()) {
                node.forEach(pending::push);
            }
        }
        return found;
    }

    /** Keywords whose values are instance data, not schemas. */
    private static final Set<String> DATA_KEYWORDS = Set.of("const", "enum", "default", "examples");

    // ---- allOf

    /**
     * Merges the parts of an {@code allOf} (and the keywords beside it) into one schema, when that is exact:
     * properties and required names add up (a property two parts define is the {@code allOf} of both), types
     * intersect, lower bounds take the highest and upper bounds the lowest, enums intersect, nested
     * {@code allOf}s join; any other keyword set differently by two parts is refused. A part that closes the
     * object ({@code additionalProperties}, {@code unevaluatedProperties}) must be the only one declaring
     * properties, since it does not see the others'.
     */
    private JsonNode mergeAllOf(JsonNode schema, String pointer) {
        List<JsonNode> parts = new ArrayList<>();
        for (int i = 0; i < schema.get("allOf").size(); i++) {
            JsonNode part = deref(schema.get("allOf").get(i), pointer);
            if (part.isBoolean() && !part.booleanValue()) {
                throw new UnsupportedSchemaException("false", pointer + "/allOf/" + i, "the schema 'false' matches no value");
            }
            if (part.isObject()) {
                parts.add(part);
            }
        }
        ObjectNode rest = ((ObjectNode) schema).deepCopy();
        rest.remove("allOf");
        parts.add(rest);
        List<JsonNode> closers = parts.stream().filter(p -> p.has("additionalProperties") || p.has("unevaluatedProperties"))
                .toList();
        List<JsonNode> declarers = parts.stream().filter(p -> p.has("properties")).toList();
        if (!closers.isEmpty() && (closers.size() > 1 || declarers.stream().anyMatch(d -> d != closers.get(0)))) {
            throw new UnsupportedSchemaException("allOf", pointer, "additionalProperties or unevaluatedProperties in "
                    + "one part do not see properties declared in another");
        }
        if (parts.stream().filter(p -> hasAny(p, "items", "prefixItems", "additionalItems", "unevaluatedItems"))
                .count() > 1) {
            throw new UnsupportedSchemaException("allOf", pointer, "items in one part do not see prefixItems or items "
                    + "declared in another");
        }
        ObjectNode merged = JsonMapper.shared().createObjectNode();
        ObjectNode properties = JsonMapper.shared().createObjectNode();
        Set<String> required = new LinkedHashSet<>();
        for (JsonNode part : parts) {
            for (String name : part.propertyNames()) {
                JsonNode v = part.get(name);
                if (name.equals("properties")) {
                    for (String p : v.propertyNames()) {
                        JsonNode before = properties.get(p);
                        properties.set(p, before == null || before.equals(v.get(p)) ? v.get(p)
                                : JsonMapper.shared().createObjectNode().set("allOf",
                                        JsonMapper.shared().createArrayNode().add(before).add(v.get(p))));
                    }
                } else if (name.equals("required")) {
                    v.forEach(r -> required.add(r.asString()));
                } else if (asserts(part, name)) {
                    JsonNode before = merged.get(name);
                    merged.set(name, before == null || before.equals(v) ? v : both(name, before, v, pointer));
                }
            }
        }
        if (!properties.isEmpty()) {
            merged.set("properties", properties);
        }
        if (!required.isEmpty()) {
            merged.set("required", JsonMapper.shared().valueToTree(required));
        }
        return merged;
    }

    /** What two parts of an {@code allOf} that set {@code keyword} differently allow together. */
    private static JsonNode both(String keyword, JsonNode a, JsonNode b, String pointer) {
        switch (keyword) {
            case "minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties" -> {
                if (a.isNumber() && b.isNumber()) {
                    return a.decimalValue().compareTo(b.decimalValue()) >= 0 ? a : b;
                }
            }
            case "maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties" -> {
                if (a.isNumber() && b.isNumber()) {
                    return a.decimalValue().compareTo(b.decimalValue()) <= 0 ? a : b;
                }
            }
            case "allOf" -> {
                if (a.isArray() && b.isArray()) {
                    return ((ArrayNode) a.deepCopy()).addAll((ArrayNode) b);
                }
            }
            case "type" -> {
                Set<String> left = typeNames(a);
                Set<String> right = typeNames(b);
                ArrayNode common = JsonMapper.shared().createArrayNode();
                for (String t : left) {
                    if (right.contains(t)) {
                        common.add(t);
                    } else if (t.equals("integer") && right.contains("number")) {
                        common.add("integer");
                    }
                }
                if (left.contains("number") && right.contains("integer") && !left.contains("integer")) {
                    common.add("integer");
                }
                if (common.isEmpty()) {
                    throw new UnsupportedSchemaException("allOf", pointer, "the parts allow no common type: " + a + ", "
                            + b);
                }
                return common;
            }
            case "enum" -> {
                if (a.isArray() && b.isArray()) {
                    Set<JsonNode> allowed = new LinkedHashSet<>();
                    b.forEach(allowed::add);
                    ArrayNode common = JsonMapper.shared().createArrayNode();
                    a.forEach(v -> {
                        if (allowed.contains(v)) {
                            common.add(v);
                        }
                    });
                    if (common.isEmpty()) {
                        throw new UnsupportedSchemaException("allOf", pointer, "the parts' enums share no value");
                    }
                    return common;
                }
            }
            default -> {
            }
        }
        throw new UnsupportedSchemaException("allOf", pointer, "parts set '" + keyword + "' differently ("
                + abbreviate(a.toString()) + ", " + abbreviate(b.toString()) + ")");
    }

    private static Set<String> typeNames(JsonNode type) {
        Set<String> names = new LinkedHashSet<>();
        if (type.isString()) {
            names.add(type.stringValue());
        } else {
            type.forEach(t -> names.add(t.asString()));
        }
        return names;
    }

    // ---- strings

    private GrammarExpr string(JsonNode schema, String pointer) {
        int min = count(schema, "minLength", 0, pointer);
        int max = count(schema, "maxLength", -1, pointer);
        JsonNode pattern = schema.get("pattern");
        JsonNode format = asserts(schema, "format") ? schema.get("format") : null;
        if (format != null) {
            String regex = FORMATS.get(format.asString());
            if (regex == null) {
                throw new UnsupportedSchemaException("format", pointer, "format '" + format.asString()
                        + "' is not supported (supported: " + String.join(", ", FORMATS.keySet()) + ")");
            }
            if (pattern != null || schema.has("minLength") || schema.has("maxLength")) {
                throw new UnsupportedSchemaException("format", pointer, "format together with pattern or lengths");
            }
            return quoted(jsonString(RegexGrammar.compile(regex)));
        }
        if (pattern != null) {
            if (schema.has("minLength") || schema.has("maxLength")) {
                throw new UnsupportedSchemaException("pattern", pointer, "pattern together with minLength/maxLength");
            }
            try {
                return quoted(jsonString(RegexGrammar.compile(pattern.asString())));
            } catch (IllegalArgumentException e) {
                throw new UnsupportedSchemaException("pattern", pointer, e.getMessage());
            }
        }
        if (max != -1 && max < min) {
            throw new UnsupportedSchemaException("maxLength", pointer, "maxLength is below minLength");
        }
        return quoted(new GrammarExpr.Repeat(new GrammarExpr.Ref(jsonChar()), min, max));
    }

    private GrammarExpr quoted(GrammarExpr content) {
        return seq(literal("\""), content, literal("\""));
    }

    /**
     * One character of a JSON string: unescaped, or an escape sequence. Unicode escapes exclude the surrogate
     * range, whose lone halves many parsers (Jackson among them) reject.
     */
    private int jsonChar() {
        return common.computeIfAbsent("char", k -> {
            GrammarExpr hex = chars(new int[] {'0', '9'}, new int[] {'a', 'f'}, new int[] {'A', 'F'});
            GrammarExpr unicode = seq(literal("u"), alt(
                    seq(chars(new int[] {'0', '9'}, new int[] {'a', 'c'}, new int[] {'A', 'C'}, new int[] {'e', 'f'},
                            new int[] {'E', 'F'}), new GrammarExpr.Repeat(hex, 3, 3)),
                    seq(chars(new int[] {'d', 'd'}, new int[] {'D', 'D'}), chars(new int[] {'0', '7'}),
                            new GrammarExpr.Repeat(hex, 2, 2))));
            GrammarExpr simpleEscape = chars(new int[] {'"', '"'}, new int[] {'\\', '\\'}, new int[] {'/', '/'},
                    new int[] {'b', 'b'}, new int[] {'f', 'f'}, new int[] {'n', 'n'}, new int[] {'r', 'r'},
                    new int[] {'t', 't'});
            GrammarExpr plain = new GrammarExpr.Chars(CharClass.ofRanges(List.of(new int[] {'"', '"'},
                    new int[] {'\\', '\\'}, new int[] {0, 0x1f}), true));
            return b.shared("char", alt(plain, seq(literal("\\"), alt(simpleEscape, unicode))));
        });
    }

    private static GrammarExpr chars(int[]... ranges) {
        return new GrammarExpr.Chars(CharClass.ofRanges(List.of(ranges), false));
    }

    /** A regex expression over decoded characters, rewritten to the JSON-escaped text that encodes them. */
    private static GrammarExpr jsonString(GrammarExpr e) {
        if (e instanceof GrammarExpr.Chars c) {
            List<GrammarExpr> options = new ArrayList<>();
            CharClass plain = c.chars().without(0, 0x1f).without('"', '"').without('\\', '\\');
            if (!plain.isEmpty()) {
                options.add(new GrammarExpr.Chars(plain));
            }
            if (c.chars().matches('"')) {
                options.add(literal("\\\""));
            }
            if (c.chars().matches('\\')) {
                options.add(literal("\\\\"));
            }
            if (c.chars().matches('\n')) {
                options.add(literal("\\n"));
            }
            if (c.chars().matches('\t')) {
                options.add(literal("\\t"));
            }
            return options.size() == 1 ? options.get(0) : new GrammarExpr.Alt(options);
        }
        if (e instanceof GrammarExpr.Seq s) {
            return new GrammarExpr.Seq(s.items().stream().map(JsonSchemaGrammar::jsonString).toList());
        }
        if (e instanceof GrammarExpr.Alt a) {
            return new GrammarExpr.Alt(a.options().stream().map(JsonSchemaGrammar::jsonString).toList());
        }
        if (e instanceof GrammarExpr.Repeat r) {
            return new GrammarExpr.Repeat(jsonString(r.item()), r.min(), r.max());
        }
        return e;
    }

    // ---- numbers

    private GrammarExpr integer(JsonNode schema, String pointer) {
        checkMultipleOf(schema, pointer, true);
        Long lo = bound(schema, "minimum", "exclusiveMinimum", true, pointer);
        Long hi = bound(schema, "maximum", "exclusiveMaximum", false, pointer);
        if (lo != null && hi != null && lo > hi) {
            throw new UnsupportedSchemaException("minimum", pointer, "no integer lies between the bounds");
        }
        return rule("integer " + lo + " " + hi, "integer", () -> IntegerRange.expr(lo, hi, MAX_DIGITS));
    }

    private GrammarExpr number(JsonNode schema, String pointer) {
        checkMultipleOf(schema, pointer, false);
        if (hasAny(schema, "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")) {
            return boundedNumber(schema, pointer);
        }
        GrammarExpr digits = new GrammarExpr.Repeat(new GrammarExpr.Chars(CharClass.range('0', '9')), 1, MAX_DIGITS);
        GrammarExpr integral = alt(literal("0"), seq(new GrammarExpr.Chars(CharClass.range('1', '9')),
                new GrammarExpr.Repeat(new GrammarExpr.Chars(CharClass.range('0', '9')), 0, MAX_DIGITS - 1)));
        GrammarExpr fraction = optional(seq(literal("."), digits));
        GrammarExpr exponent = optional(seq(new GrammarExpr.Chars(CharClass.ofRanges(List.of(new int[] {'e', 'e'},
                        new int[] {'E', 'E'}), false)), optional(new GrammarExpr.Chars(CharClass.ofRanges(
                        List.of(new int[] {'+', '+'}, new int[] {'-', '-'}), false))),
                new GrammarExpr.Repeat(new GrammarExpr.Chars(CharClass.range('0', '9')), 1, 2)));
        return new GrammarExpr.Ref(b.shared("number", seq(optional(literal("-")), integral, fraction, exponent)));
    }

    /**
     * Numbers within bounds, as integers in range and as decimals between two consecutive integers in range
     * ({@code n.ddd} when {@code n} and {@code n + 1} both are, {@code -n.ddd} when {@code -n} and
     * {@code -(n + 1)} both are): a sound subset, which leaves out decimals next to a bound that is not an
     * integer, and refuses a range too narrow to hold any of them.
     */
    private GrammarExpr boundedNumber(JsonNode schema, String pointer) {
        long limit = (long) Math.pow(10, MAX_DIGITS) - 1;
        long low = integerBound(schema, "minimum", "exclusiveMinimum", true, limit, pointer);
        long high = integerBound(schema, "maximum", "exclusiveMaximum", false, limit, pointer);
        GrammarExpr fraction = seq(literal("."), new GrammarExpr.Repeat(new GrammarExpr.Chars(CharClass.range('0',
                '9')), 1, MAX_DIGITS));
        List<GrammarExpr> options = new ArrayList<>();
        if (low <= high) {
            options.add(IntegerRange.expr(low, high, MAX_DIGITS));
        }
        if (Math.max(low, 0) <= high - 1) {
            options.add(seq(IntegerRange.expr(Math.max(low, 0), high - 1, MAX_DIGITS), fraction));
        }
        if (Math.max(-high, 0) <= -low - 1) {
            options.add(seq(literal("-"), IntegerRange.expr(Math.max(-high, 0), -low - 1, MAX_DIGITS), fraction));
        }
        if (options.isEmpty()) {
            throw new UnsupportedSchemaException(schema.has("minimum") ? "minimum" : "exclusiveMinimum", pointer,
                    "the bounds hold no integer and no two consecutive integers, which is what the grammar writes");
        }
        return rule("number " + low + " " + high, "number", () -> new GrammarExpr.Alt(options));
    }

    /**
     * The integer bound a lower or upper number bound implies (the least or greatest integer that satisfies it,
     * draft 4's boolean exclusive forms included), clamped to the digits a grammar writes: an absent bound, or
     * one beyond them, is the limit itself.
     */
    private static long integerBound(JsonNode schema, String inclusive, String exclusive, boolean lower, long limit,
                                     String pointer) {
        java.math.BigDecimal best = null;
        JsonNode in = schema.get(inclusive);
        JsonNode ex = schema.get(exclusive);
        java.math.RoundingMode toward = lower ? java.math.RoundingMode.CEILING : java.math.RoundingMode.FLOOR;
        if (in != null && in.isNumber()) {
            java.math.BigDecimal v = in.decimalValue();
            java.math.BigDecimal b = v.setScale(0, toward);
            if (ex != null && ex.isBoolean() && ex.booleanValue() && b.compareTo(v) == 0) {
                b = lower ? b.add(java.math.BigDecimal.ONE) : b.subtract(java.math.BigDecimal.ONE);
            }
            best = b;
        } else if (in != null) {
            throw new UnsupportedSchemaException(inclusive, pointer, inclusive + " must be a number");
        }
        if (ex != null && ex.isNumber()) {
            java.math.BigDecimal v = ex.decimalValue();
            java.math.BigDecimal b = lower ? v.setScale(0, java.math.RoundingMode.FLOOR).add(java.math.BigDecimal.ONE)
                    : v.setScale(0, java.math.RoundingMode.CEILING).subtract(java.math.BigDecimal.ONE);
            best = best == null ? b : lower ? best.max(b) : best.min(b);
        }
        java.math.BigDecimal edge = java.math.BigDecimal.valueOf(lower ? -limit : limit);
        if (best == null || (lower ? best.compareTo(edge) < 0 : best.compareTo(edge) > 0)) {
            return edge.longValue();
        }
        java.math.BigDecimal beyond = java.math.BigDecimal.valueOf(lower ? limit + 1 : -limit - 1);
        return (lower ? best.compareTo(beyond) > 0 : best.compareTo(beyond) < 0) ? beyond.longValue() : best.longValue();
    }

    private static void checkMultipleOf(JsonNode schema, String pointer, boolean integer) {
        JsonNode multiple = schema.get("multipleOf");
        if (multiple != null && !(integer && multiple.isNumber() && multiple.asDouble() == 1)) {
            throw new UnsupportedSchemaException("multipleOf", pointer, "a grammar cannot enforce multipleOf");
        }
    }

    /** An inclusive integer bound from a value and its exclusive form (2020-12 numbers or draft-4 booleans). */
    private static Long bound(JsonNode schema, String inclusive, String exclusive, boolean lower, String pointer) {
        Long best = null;
        JsonNode in = schema.get(inclusive);
        JsonNode ex = schema.get(exclusive);
        if (in != null) {
            if (!in.isNumber()) {
                throw new UnsupportedSchemaException(inclusive, pointer, inclusive + " must be a number");
            }
            double v = in.asDouble();
            boolean draft4Exclusive = ex != null && ex.isBoolean() && ex.booleanValue();
            long b = lower ? (long) Math.ceil(v) : (long) Math.floor(v);
            if (draft4Exclusive && b == v) {
                b += lower ? 1 : -1;
            }
            best = b;
        }
        if (ex != null && ex.isNumber()) {
            double v = ex.asDouble();
            long b = lower ? (long) Math.floor(v) + 1 : (long) Math.ceil(v) - 1;
            best = best == null ? b : lower ? Math.max(best, b) : Math.min(best, b);
        }
        if (best != null && Math.abs(best) >= 1_000_000_000_000_000L) {
            throw new UnsupportedSchemaException(inclusive, pointer, "bounds beyond 10^18 are not supported");
        }
        return best;
    }

    // ---- objects

    private GrammarExpr object(JsonNode schema, String pointer) {
        JsonNode properties = schema.get("properties");
        Set<String> required = new LinkedHashSet<>();
        JsonNode req = schema.get("required");
        if (req != null) {
            req.forEach(r -> required.add(r.asString()));
        }
        JsonNode additional = schema.has("additionalProperties") ? schema.get("additionalProperties")
                : asserts(schema, "unevaluatedProperties") ? schema.get("unevaluatedProperties") : null;
        Map<String, JsonNode> declared = new LinkedHashMap<>();
        if (properties != null) {
            properties.propertyNames().forEach(p -> declared.put(p, properties.get(p)));
        }
        for (String r : required) {
            if (!declared.containsKey(r)) {
                if (additional != null && additional.isBoolean() && !additional.booleanValue()) {
                    throw new UnsupportedSchemaException("required", pointer, "required property '" + r
                            + "' is forbidden by additionalProperties");
                }
                declared.put(r, additional == null || additional.isBoolean() ? JsonMapper.shared().getNodeFactory()
                        .booleanNode(true) : additional);
            }
        }
        if (declared.isEmpty()) {
            checkPropertyCounts(schema, pointer, 0, 0, true);
            if (additional != null && additional.isBoolean() && !additional.booleanValue()) {
                return seq(literal("{"), padding(), literal("}"));
            }
            JsonNode valueSchema = additional == null || additional.isBoolean() ? null : additional;
            return map(valueSchema, pointer + "/additionalProperties");
        }
        checkPropertyCounts(schema, pointer, required.size(), declared.size(), false);
        List<GrammarExpr> mandatory = new ArrayList<>();
        List<GrammarExpr> optionals = new ArrayList<>();
        for (Map.Entry<String, JsonNode> p : declared.entrySet()) {
            String childPointer = pointer + "/properties/" + escape(p.getKey());
            GrammarExpr kv = seq(jsonLiteral(JsonMapper.shared().getNodeFactory().stringNode(p.getKey())), colon(),
                    value(p.getValue(), childPointer));
            (required.contains(p.getKey()) ? mandatory : optionals).add(kv);
        }
        List<GrammarExpr> body = new ArrayList<>();
        body.add(literal("{"));
        body.add(padding());
        for (int i = 0; i < mandatory.size(); i++) {
            if (i > 0) {
                body.add(comma());
            }
            body.add(mandatory.get(i));
        }
        if (!optionals.isEmpty()) {
            GrammarExpr chain = optionalChain(optionals);
            body.add(optional(mandatory.isEmpty() ? chain : seq(comma(), chain)));
        }
        body.add(padding());
        body.add(literal("}"));
        return new GrammarExpr.Seq(body);
    }

    /**
     * One or more of the optional members, in order, separated by commas: a rule per suffix of the list, so the
     * grammar grows linearly with the number of members.
     */
    private GrammarExpr optionalChain(List<GrammarExpr> optionals) {
        GrammarExpr chain = optionals.get(optionals.size() - 1);
        for (int i = optionals.size() - 2; i >= 0; i--) {
            GrammarExpr rest = own("members", chain);
            chain = alt(seq(optionals.get(i), optional(seq(comma(), rest))), rest);
        }
        return chain;
    }

    /**
     * A rule of its own for an expression, referred to by number: expressions that contain it stay small, so
     * building and comparing them costs what their own keywords cost, not what everything below them does.
     */
    private GrammarExpr own(String nameHint, GrammarExpr body) {
        int rule = b.declare(nameHint);
        b.define(rule, body);
        return new GrammarExpr.Ref(rule);
    }

    private static void checkPropertyCounts(JsonNode schema, String pointer, int required, int declared,
                                            boolean open) {
        JsonNode min = schema.get("minProperties");
        JsonNode max = schema.get("maxProperties");
        if (min != null && min.asInt() > required) {
            throw new UnsupportedSchemaException("minProperties", pointer, "minProperties above the number of "
                    + "required properties cannot be enforced");
        }
        if (max != null && (open || max.asInt() < declared)) {
            throw new UnsupportedSchemaException("maxProperties", pointer, "maxProperties below the number of "
                    + "properties that may appear cannot be enforced");
        }
    }

    private GrammarExpr map(JsonNode valueSchema, String pointer) {
        GrammarExpr value = valueSchema == null ? any() : value(valueSchema, pointer);
        GrammarExpr kv = seq(string(JsonMapper.shared().createObjectNode(), pointer), colon(), value);
        return seq(literal("{"), padding(), optional(seq(kv, GrammarExpr.star(seq(comma(), kv)))), padding(),
                literal("}"));
    }

    // ---- arrays

    private GrammarExpr array(JsonNode schema, String pointer) {
        int min = count(schema, "minItems", 0, pointer);
        int max = count(schema, "maxItems", -1, pointer);
        if (max != -1 && max < min) {
            throw new UnsupportedSchemaException("maxItems", pointer, "maxItems is below minItems");
        }
        JsonNode prefixItems = asserts(schema, "prefixItems") ? schema.get("prefixItems") : null;
        JsonNode items = schema.get("items");
        String itemsPointer = pointer + "/items";
        if (items != null && items.isArray()) {
            prefixItems = items;
            items = asserts(schema, "additionalItems") ? schema.get("additionalItems") : null;
            itemsPointer = pointer + "/additionalItems";
        }
        List<GrammarExpr> prefix = new ArrayList<>();
        if (prefixItems != null) {
            for (int i = 0; i < prefixItems.size() && (max == -1 || i < max); i++) {
                prefix.add(value(prefixItems.get(i), pointer + "/prefixItems/" + i));
            }
        }
        boolean closed = items != null && items.isBoolean() && !items.booleanValue();
        GrammarExpr rest = closed ? null : items == null ? any() : value(items, itemsPointer);
        if (rest == null && min > prefix.size()) {
            throw new UnsupportedSchemaException("minItems", pointer, "minItems exceeds the items allowed");
        }
        List<GrammarExpr> body = new ArrayList<>();
        for (int i = 0; i < min; i++) {
            GrammarExpr element = i < prefix.size() ? prefix.get(i) : rest;
            body.add(i == 0 ? element : seq(comma(), element));
        }
        int start = Math.max(min, prefix.size());
        GrammarExpr optionalPart;
        if (rest == null || (max != -1 && max <= start)) {
            optionalPart = GrammarExpr.EMPTY;
        } else {
            GrammarExpr more = seq(comma(), rest);
            GrammarExpr repeated = new GrammarExpr.Repeat(more, 0, max == -1 ? -1 : max - start - (start == 0 ? 1 : 0));
            optionalPart = start == 0 ? optional(seq(rest, repeated)) : repeated;
        }
        for (int i = prefix.size() - 1; i >= min; i--) {
            optionalPart = optional(seq(i == 0 ? prefix.get(i) : seq(comma(), prefix.get(i)), optionalPart));
        }
        body.add(optionalPart);
        return seq(literal("["), padding(), new GrammarExpr.Seq(body), padding(), literal("]"));
    }

    // ---- shared pieces

    private static int count(JsonNode schema, String keyword, int absent, String pointer) {
        JsonNode v = schema.get(keyword);
        if (v == null) {
            return absent;
        }
        if (!v.isNumber() || v.asDouble() < 0 || v.asDouble() != Math.floor(v.asDouble())) {
            throw new UnsupportedSchemaException(keyword, pointer, keyword + " must be a non-negative integer");
        }
        if (v.asDouble() > MAX_COUNT) {
            throw new UnsupportedSchemaException(keyword, pointer, keyword + " above " + MAX_COUNT
                    + " is too large to spell out in a grammar");
        }
        return v.asInt();
    }

    /**
     * What may stand inside brackets and around the document: nothing in compact layout; with flexible white space,
     * nothing, one space, or a newline and up to 20 spaces or tabs of indentation.
     */
    GrammarExpr padding() {
        return switch (layout.whitespace()) {
            case FIXED -> GrammarExpr.EMPTY;
            case BOUNDED -> boundedWhitespace();
            case ANY -> new GrammarExpr.Ref(common.computeIfAbsent("any-ws", k -> b.shared("any-ws", GrammarExpr.star(
                    new GrammarExpr.Chars(CharClass.ofRanges(List.of(new int[] {' ', ' '}, new int[] {'\t', '\t'},
                            new int[] {'\n', '\n'}, new int[] {'\r', '\r'}), false))))));
        };
    }

    /**
     * What may follow the tool calls: bounded white space (nothing, a space, or a newline and up to 20 spaces or
     * tabs) whatever the layout, so that a model that ends its line before it stops is not pushed into another
     * call.
     */
    GrammarExpr trailer() {
        return layout.whitespace() == JsonLayout.Whitespace.ANY ? padding() : boundedWhitespace();
    }

    private GrammarExpr boundedWhitespace() {
        return new GrammarExpr.Ref(common.computeIfAbsent("ws", k -> b.shared("ws", alt(GrammarExpr.EMPTY,
                literal(" "), seq(literal("\n"), new GrammarExpr.Repeat(new GrammarExpr.Chars(CharClass.ofRanges(
                        List.of(new int[] {' ', ' '}, new int[] {'\t', '\t'}), false)), 0, 20))))));
    }

    /** Between the items of an array or the members of an object. */
    private GrammarExpr comma() {
        return switch (layout.whitespace()) {
            case FIXED -> literal(layout.itemSeparator());
            case BOUNDED -> seq(literal(","), padding());
            case ANY -> seq(padding(), literal(","), padding());
        };
    }

    /** Between a member's name and its value. */
    private GrammarExpr colon() {
        return layout.flexible() ? seq(padding(), literal(":"), padding()) : literal(layout.keySeparator());
    }

    /** A constant value, written in the layout's separators. */
    private GrammarExpr jsonLiteral(JsonNode value) {
        return literal(layout.write(value));
    }

    /** Any JSON value. */
    private GrammarExpr any() {
        String key = "value " + layout;
        Integer existing = common.get(key);
        if (existing != null) {
            return new GrammarExpr.Ref(existing);
        }
        int value = b.declare("value");
        common.put(key, value);
        GrammarExpr ref = new GrammarExpr.Ref(value);
        GrammarExpr string = quoted(GrammarExpr.star(new GrammarExpr.Ref(jsonChar())));
        GrammarExpr kv = seq(string, colon(), ref);
        GrammarExpr object = seq(literal("{"), padding(), optional(seq(kv, GrammarExpr.star(seq(comma(), kv)))),
                padding(), literal("}"));
        GrammarExpr array = seq(literal("["), padding(), optional(seq(ref, GrammarExpr.star(seq(comma(), ref)))),
                padding(), literal("]"));
        b.define(value, alt(object, array, string, number(JsonMapper.shared().createObjectNode(), "#"), literal("true"),
                literal("false"), literal("null")));
        return ref;
    }

    private static String escape(String key) {
        return key.replace("~", "~0").replace("/", "~1");
    }
}
