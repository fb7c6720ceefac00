package dev.locallm.engine.grammar;

import static dev.locallm.engine.grammar.GrammarExpr.alt;
import static dev.locallm.engine.grammar.GrammarExpr.literal;
import static dev.locallm.engine.grammar.GrammarExpr.optional;
import static dev.locallm.engine.grammar.GrammarExpr.seq;

import dev.locallm.error.UnsupportedSchemaException;
import dev.locallm.schema.JsonSchema;
import dev.locallm.schema.SchemaAssertion;
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
import tools.jackson.databind.node.BooleanNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Compiles a JSON schema to a {@link Grammar} whose sentences are JSON texts that validate against the schema, as
 * far as a grammar can enforce it.
 *
 * <p>What the grammar enforces it enforces <em>soundly</em> rather than completely: everything it generates is
 * valid there, but it may generate fewer texts than the schema allows. Objects list required properties first,
 * then optional ones, in schema order, and get no properties the schema does not name; strings that must match a
 * {@code pattern} match it as a whole; white space is limited to what keeps output readable. Annotations and
 * keywords that assert nothing in the schema's dialect are ignored.
 *
 * <p>An assertion no grammar can enforce ({@code uniqueItems}, {@code not}, {@code if}/{@code then}/{@code else},
 * a {@code oneOf} whose branches may overlap...) is, by {@link #compileLeavingToValidation}, left to validation
 * after generation: the grammar allows a superset of what it asserts there, and {@link Grammar#unenforced()}
 * names it. {@link #compile} refuses it instead with {@link UnsupportedSchemaException}, naming the keyword and its
 * JSON pointer, so that its grammar enforces the whole schema. Both refuse remote references, schemas that no
 * value satisfies, and schemas over the limits of size ({@link #MAX_RULES}), depth and time
 * ({@link #COMPILE_BUDGET}). Branches and optional properties that no value satisfies are left out.
 * Stateless; thread-safe.
 */
public final class JsonSchemaGrammar {
    /** Bound on counted repetitions (string lengths, array sizes) that a grammar spells out. */
    static final int MAX_COUNT = 10_000;
    /** Digits an unbounded integer may have. */
    private static final int MAX_DIGITS = 15;

    /**
     * A regular expression per format whose strings are all valid for it (a sound subset: short, lower-case
     * names, common shapes).
     */
    private static final Map<String, String> FORMATS;

    static {
        String date = "[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])";
        String time = "([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,6})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])";
        String label = "[a-z][a-z0-9]{0,31}";
        String host = label + "(\\." + label + "){0,3}";
        String email = "[a-z][a-z0-9]{0,15}(\\.[a-z][a-z0-9]{0,15}){0,2}@" + label + "(\\." + label + "){0,2}"
                + "\\.(com|org|net|io|dev|info|de|fr|uk|jp)";
        String uri = "https?://" + host + "(/[a-zA-Z0-9._~-]{1,32}){0,8}";
        String pointer = "(/[a-zA-Z0-9._-]{1,32}){0,8}";
        String octet = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
        FORMATS = Map.ofEntries(
                Map.entry("date", date),
                Map.entry("time", time),
                Map.entry("date-time", date + "T" + time),
                Map.entry("duration", "P([0-9]{1,4}D|T[0-9]{1,4}[HMS]|[0-9]{1,4}DT[0-9]{1,4}[HMS]|[0-9]{1,3}W)"),
                Map.entry("uuid", "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
                Map.entry("email", email),
                Map.entry("idn-email", email),
                Map.entry("hostname", host),
                Map.entry("idn-hostname", host),
                Map.entry("uri", uri),
                Map.entry("iri", uri),
                Map.entry("uri-reference", "(" + uri + "|(/[a-zA-Z0-9._~-]{1,32}){1,8})"),
                Map.entry("iri-reference", "(" + uri + "|(/[a-zA-Z0-9._~-]{1,32}){1,8})"),
                Map.entry("uri-template", uri),
                Map.entry("ipv4", octet + "(\\." + octet + "){3}"),
                Map.entry("ipv6", "([0-9a-f]{1,4}:){7}[0-9a-f]{1,4}"),
                Map.entry("json-pointer", pointer),
                Map.entry("relative-json-pointer", "(0|[1-9][0-9]{0,2})" + pointer),
                Map.entry("regex", "[a-zA-Z0-9 ]{0,32}"),
                Map.entry("alpha", "[a-zA-Z]{1,32}"),
                Map.entry("alphanumeric", "[a-zA-Z0-9]{1,32}"),
                Map.entry("ip-address", octet + "(\\." + octet + "){3}"));
    }

    /**
     * The formats the validator asserts: those the specification defines, and the few of earlier drafts its
     * library keeps (alpha, color, phone...). Any other format is a custom annotation, and constrains nothing.
     */
    private static final Set<String> SPECIFIED_FORMATS = Set.of("date-time", "date", "time", "duration", "email",
            "idn-email", "hostname", "idn-hostname", "ipv4", "ipv6", "uri", "uri-reference", "iri", "iri-reference",
            "uuid", "uri-template", "json-pointer", "relative-json-pointer", "regex", "alpha", "alphanumeric",
            "color", "ip-address", "phone", "style", "utc-millisec");

    /**
     * The integer formats of OpenAPI's format registry, which Spring AI's and springdoc's schema generators write
     * for Java's {@code int}, {@code short} and {@code byte}. JSON Schema leaves them unasserted, so they only
     * narrow what is generated: every integer in range is valid either way, and it fits the Java field. A format
     * whose range holds none of the schema's integers is left out.
     */
    private static final Map<String, long[]> INTEGER_FORMATS = Map.of(
            "int8", new long[] {Byte.MIN_VALUE, Byte.MAX_VALUE}, "uint8", new long[] {0, 255},
            "int16", new long[] {Short.MIN_VALUE, Short.MAX_VALUE},
            "int32", new long[] {Integer.MIN_VALUE, Integer.MAX_VALUE});

    /** Deepest nesting of schemas the compiler follows. */
    static final int MAX_DEPTH = 128;
    /** Most rules a schema's grammar may have. */
    static final int MAX_RULES = 100_000;
    /**
     * Most processor time a compilation may take (the compiling thread's own, so that other work on a busy machine
     * does not count against it), a guard for a server: the rule cap stops most schemas that are too large
     * before, and does so whatever the machine's speed. (The largest real-world schema measured, 1.6 MB of Azure
     * Pipelines tasks, compiles in about 0.6 s once the JVM is warm.)
     */
    static final java.time.Duration COMPILE_BUDGET = java.time.Duration.ofSeconds(1);
    private static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory
            .getThreadMXBean();

    /** Most alternatives of an {@code anyOf} or {@code oneOf}. */
    static final int MAX_ALTERNATIVES = 1024;
    /** Most values of an {@code enum}. */
    static final int MAX_ENUM_VALUES = 4096;

    private static final Logger LOG = LoggerFactory.getLogger(JsonSchemaGrammar.class);

    private final JsonNode document;
    private final SchemaDialect dialect;
    private final JsonLayout layout;
    private final String schemaName;
    private final boolean grammarOnly;
    private final Set<SchemaAssertion> unenforced = new LinkedHashSet<>();
    private final GrammarBuilder b;
    private int depth;
    private int calls;
    private final java.time.Duration budget;
    private final long deadline;
    private final Map<String, Integer> refRules = new HashMap<>();
    /**
     * Schema objects compiled so far, by identity: a subschema that several places share (the keywords beside
     * each branch of a combinator, a definition merged into several parts) compiles once.
     */
    private final Map<JsonNode, Compiled> compiled = new java.util.IdentityHashMap<>();
    /**
     * Schema objects being compiled, by identity, with the rule a recursive use of one gets (-1 until one does):
     * recursion that does not pass through a {@code $ref} rule (a reference merged into {@code allOf}, say) ends
     * there too.
     */
    private final Map<JsonNode, int[]> inProgress = new java.util.IdentityHashMap<>();
    private final Map<String, Integer> common;

    /**
     * A compiler for one schema document that adds its rules to {@code builder}; {@code common} shares the
     * rules every document needs (white space, string characters, any value) between compilers of one grammar.
     */
    JsonSchemaGrammar(GrammarBuilder builder, Map<String, Integer> common, JsonSchema schema, Mode mode) {
        this.b = builder;
        this.common = common;
        this.document = JsonMapper.shared().readTree(schema.toJson());
        this.dialect = SchemaDialect.of(schema, document);
        this.layout = mode.anyLayout ? JsonLayout.ANY : JsonLayout.of(document);
        this.schemaName = mode.schemaName;
        this.grammarOnly = mode.grammarOnly;
        this.budget = mode.budget;
        this.deadline = elapsed() + budget.toNanos();
    }

    /** The compiling thread's processor time, in nanoseconds; wall-clock time where the JVM cannot tell. */
    private static long elapsed() {
        long cpu = THREADS.isCurrentThreadCpuTimeSupported() ? THREADS.getCurrentThreadCpuTime() : -1;
        return cpu >= 0 ? cpu : System.nanoTime();
    }

    /**
     * How a document is compiled.
     *
     * @param schemaName  the schema's name in {@link SchemaAssertion}s: {@code response_format} or a tool's name
     * @param grammarOnly whether an assertion the grammar cannot enforce is refused, rather than left to validation
     * @param anyLayout   whether JSON may be written in any layout (to close JSON written without the grammar)
     * @param budget      the most processor time the compilation may take
     */
    record Mode(String schemaName, boolean grammarOnly, boolean anyLayout, java.time.Duration budget) {
        Mode(String schemaName, boolean grammarOnly, boolean anyLayout) {
            this(schemaName, grammarOnly, anyLayout, COMPILE_BUDGET);
        }
    }

    /** The assertions this compiler left to validation, in the order it met them. */
    List<SchemaAssertion> unenforced() {
        return List.copyOf(unenforced);
    }

    /**
     * An assertion the grammar does not enforce (in full): refused when only the grammar may enforce the schema,
     * else left to validation after generation, and the grammar allows a superset of what it asserts.
     */
    private void leaveToValidation(String keyword, String pointer, String reason) {
        if (grammarOnly) {
            throw new UnsupportedSchemaException(keyword, pointer, reason);
        }
        if (unenforced.add(new SchemaAssertion(schemaName, keyword, pointer)) && LOG.isDebugEnabled()) {
            LOG.debug("Leaving '{}' at {} to validation after generation: {}", keyword, pointer, reason);
        }
    }

    /**
     * Compiles a schema into a grammar that enforces all of it: {@link Grammar#unenforced()} is empty.
     *
     * @throws UnsupportedSchemaException when the schema uses something a grammar cannot enforce
     */
    public static Grammar compile(JsonSchema schema) {
        return compile(schema, MAX_RULES);
    }

    /**
     * Compiles a schema into a grammar that enforces what a grammar can, and allows a superset of the rest:
     * {@link Grammar#unenforced()} lists the assertions left to validation after generation. Refuses only
     * schemas that no value satisfies, remote references, malformed keywords, and schemas over the size and time
     * limits.
     *
     * @param anyLayout whether the JSON may be written in any layout (white space wherever JSON allows it), to
     *                  close JSON that was written without the grammar
     * @throws UnsupportedSchemaException when the schema cannot be compiled
     */
    public static Grammar compileLeavingToValidation(JsonSchema schema, boolean anyLayout) {
        return compile(schema, MAX_RULES, new Mode(RESPONSE_FORMAT, false, anyLayout));
    }

    /** Compiles a schema into a grammar of at most {@code maxRules} rules, enforcing all of it. */
    static Grammar compile(JsonSchema schema, int maxRules) {
        return compile(schema, maxRules, new Mode(RESPONSE_FORMAT, true, false));
    }

    /** Compiles a schema, enforcing all of it, in at most {@code budget} of processor time. */
    static Grammar compile(JsonSchema schema, java.time.Duration budget) {
        return compile(schema, MAX_RULES, new Mode(RESPONSE_FORMAT, true, false, budget));
    }

    private static Grammar compile(JsonSchema schema, int maxRules, Mode mode) {
        GrammarBuilder builder = new GrammarBuilder(maxRules);
        JsonSchemaGrammar compiler = new JsonSchemaGrammar(builder, new HashMap<>(), schema, mode);
        try {
            int root = builder.declare("root");
            builder.define(root, seq(compiler.padding(), compiler.document(), compiler.padding()));
            return build(builder, root).leaving(compiler.unenforced());
        } catch (GrammarBuilder.TooLargeException e) {
            throw tooLarge(maxRules);
        }
    }

    /**
     * A schema that no value satisfies. Where it stands in a branch of {@code anyOf}/{@code oneOf} or an optional
     * property, it only means that branch or property can never be used, and the compiler leaves it out;
     * elsewhere it makes the schema fail.
     */
    private static final class NoValueException extends UnsupportedSchemaException {
        private static final long serialVersionUID = 1L;

        NoValueException(String keyword, String pointer, String reason) {
            super(keyword, pointer, reason);
        }
    }

    private static UnsupportedSchemaException noValue(String keyword, String pointer, String reason) {
        return new NoValueException(keyword, pointer, reason);
    }

    /**
     * The expression for a schema, or {@code null} when no value satisfies it: what the compiler built for it is
     * then forgotten (its references, and what it left to validation).
     */
    private GrammarExpr valueOrNothing(JsonNode schema, String pointer) {
        int mark = b.ruleCount();
        int left = unenforced.size();
        try {
            return value(schema, pointer);
        } catch (NoValueException e) {
            LOG.debug("Leaving out {}: {}", pointer, e.reason());
            b.abandonFrom(mark);
            refRules.values().removeIf(rule -> rule >= mark);
            compiled.values().removeIf(c -> c.failure == null && c.since >= mark);
            List<SchemaAssertion> before = new ArrayList<>(unenforced).subList(0, left);
            unenforced.clear();
            unenforced.addAll(before);
            return null;
        }
    }

    /** The name of a response format's schema in {@link SchemaAssertion}s. */
    static final String RESPONSE_FORMAT = "response_format";

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

    /**
     * The expression for the whole document. A remote reference anywhere in it is refused first, even where the
     * grammar would not follow it (inside {@code not}, say): validation after generation would need it.
     */
    GrammarExpr document() {
        refuseRemoteReferences();
        return value(document, "#");
    }

    private void refuseRemoteReferences() {
        java.util.ArrayDeque<Map.Entry<String, JsonNode>> pending = new java.util.ArrayDeque<>();
        pending.push(Map.entry("#", document));
        while (!pending.isEmpty()) {
            Map.Entry<String, JsonNode> next = pending.pop();
            JsonNode node = next.getValue();
            if (node.isObject()) {
                if (node.path("$ref").isString()) {
                    local(node.get("$ref").stringValue(), next.getKey());
                }
                for (String key : node.propertyNames()) {
                    if (!DATA_KEYWORDS.contains(key)) {
                        pending.push(Map.entry(next.getKey() + "/" + escape(key), node.get(key)));
                    }
                }
            } else if (node.isArray()) {
                for (int i = 0; i < node.size(); i++) {
                    pending.push(Map.entry(next.getKey() + "/" + i, node.get(i)));
                }
            }
        }
    }

    // ---- values

    private GrammarExpr value(JsonNode schema, String pointer) {
        if ((++calls & 63) == 0 && elapsed() - deadline > 0) {
            throw new UnsupportedSchemaException("$schema", pointer, "compiling the schema took more than "
                    + budget.toMillis() + " ms of processor time");
        }
        if (++depth > MAX_DEPTH) {
            throw new UnsupportedSchemaException("$schema", pointer, "schemas nested deeper than " + MAX_DEPTH
                    + " levels are not supported");
        }
        Compiled done = compiled.get(schema);
        if (done != null) {
            depth--;
            if (done.failure != null) {
                throw done.failure;
            }
            return done.expr;
        }
        int[] recursion = schema.isObject() ? inProgress.get(schema) : null;
        if (recursion != null) {
            depth--;
            if (recursion[0] < 0) {
                recursion[0] = b.declare("recursive");
            }
            return new GrammarExpr.Ref(recursion[0]);
        }
        int since = b.ruleCount();
        int[] rule = {-1};
        if (schema.isObject()) {
            inProgress.put(schema, rule);
        }
        try {
            GrammarExpr expr = valueAtDepth(schema, pointer);
            if (rule[0] >= 0) {
                b.define(rule[0], expr);
                expr = new GrammarExpr.Ref(rule[0]);
            }
            if (schema.isObject()) {
                compiled.put(schema, new Compiled(expr, null, since));
            }
            return expr;
        } catch (NoValueException e) {
            if (schema.isObject()) {
                compiled.put(schema, new Compiled(null, e, since));
            }
            throw e;
        } finally {
            inProgress.remove(schema);
            depth--;
        }
    }

    /**
     * What a schema object compiled to, or why no value satisfies it; {@code since} is the rule count when its
     * compilation began (it made only rules from there on).
     */
    private record Compiled(GrammarExpr expr, NoValueException failure, int since) {
    }

    private GrammarExpr valueAtDepth(JsonNode schema, String pointer) {
        if (schema.isBoolean()) {
            if (!schema.booleanValue()) {
                throw noValue("false", pointer, "the schema 'false' matches no value");
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
                List<JsonNode> pooled = pooledConstants(subs, combinator.equals("oneOf"), pointer);
                if (pooled != null) {
                    ObjectNode constants = without(schema, combinator);
                    constants.set("enum", JsonMapper.shared().createArrayNode().addAll(pooled));
                    return constantValues(constants, pointer);
                }
                boolean besides = hasConstraintsBesides(schema, combinator);
                if (combinator.equals("oneOf") && !disjoint(subs, pointer)) {
                    leaveToValidation("oneOf", pointer, "oneOf needs exactly one branch to match; a grammar "
                            + "enforces that only when branches differ in type, in constant values, or in a constant "
                            + "discriminator property");
                }
                List<GrammarExpr> options = new ArrayList<>();
                for (int i = 0; i < subs.size(); i++) {
                    if (subs.get(i).isBoolean() && !subs.get(i).booleanValue()) {
                        continue;
                    }
                    JsonNode branch = besides ? withAllOfPart(schema, combinator, subs.get(i)) : subs.get(i);
                    GrammarExpr option = valueOrNothing(branch, pointer + "/" + combinator + "/" + i);
                    if (option != null) {
                        options.add(option);
                    }
                }
                if (options.isEmpty()) {
                    throw noValue(combinator, pointer, "no branch matches any value");
                }
                return options.size() == 1 ? options.get(0) : new GrammarExpr.Alt(options);
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
            others |= !name.equals(keyword) && asserts(schema, name);
        }
        java.util.function.Predicate<JsonNode> simple = others ? simpleCheck(schema, keyword, pointer) : null;
        if (simple != null) {
            values.removeIf(simple.negate());
            others = false;
            if (values.isEmpty()) {
                throw noValue(keyword, pointer, "no value of the " + keyword + " satisfies the keywords beside it");
            }
        }
        JsonSchema check = others ? alone(schema) : null;
        if (others && check == null) {
            leaveToValidation(keyword, pointer, "the values of " + keyword + " are not filtered by keywords beside it "
                    + "that hold a $ref");
        } else if (others) {
            values.removeIf(v -> !check.validate(v.toString()).isEmpty());
            if (values.isEmpty()) {
                throw noValue(keyword, pointer, "no value of the " + keyword
                        + " satisfies the keywords beside it");
            }
        }
        List<GrammarExpr> options = new ArrayList<>();
        values.forEach(v -> options.add(jsonLiteral(v)));
        return options.size() == 1 ? options.get(0) : new GrammarExpr.Alt(options);
    }

    /**
     * A schema object on its own, in the document's dialect, for the validator to check values against;
     * {@code null} when it holds a {@code $ref}, whose target it would not see.
     */
    private JsonSchema alone(JsonNode schema) {
        if (!schema.isObject() || schema.toString().contains("\"$ref\"")) {
            return schema.isBoolean() ? JsonSchema.parse(schema.toString()) : null;
        }
        ObjectNode copy = ((ObjectNode) schema).deepCopy();
        if (document.isObject() && document.has("$schema")) {
            copy.set("$schema", document.get("$schema"));
        }
        try {
            return JsonSchema.parse(copy.toString());
        } catch (dev.locallm.error.InvalidRequestException e) {
            return null;
        }
    }

    /**
     * The keywords beside a {@code const} or {@code enum} as a test of values, when they are only {@code type},
     * {@code pattern} (found anywhere in the string, as the validator's JDK regular expressions do) and string
     * lengths (in code points); {@code null} when others stand there, for the validator to check.
     */
    private java.util.function.Predicate<JsonNode> simpleCheck(JsonNode schema, String keyword, String pointer) {
        for (String name : schema.propertyNames()) {
            if (asserts(schema, name) && !name.equals(keyword) && !SIMPLE_BESIDE_CONSTANTS.contains(name)) {
                return null;
            }
        }
        java.util.regex.Pattern pattern;
        try {
            pattern = schema.has("pattern") ? java.util.regex.Pattern.compile(schema.get("pattern").asString()) : null;
        } catch (java.util.regex.PatternSyntaxException e) {
            return null;
        }
        List<String> types = schema.has("type") ? types(schema, pointer) : null;
        double min = schema.path("minLength").asDouble(0);
        double max = schema.has("maxLength") ? schema.get("maxLength").asDouble() : Double.MAX_VALUE;
        return v -> {
            if (types != null && !types.contains(jsonType(v)) && !(types.contains("number") && v.isNumber())) {
                return false;
            }
            if (!v.isString()) {
                return true;
            }
            String text = v.stringValue();
            int length = text.codePointCount(0, text.length());
            return length >= min && length <= max && (pattern == null || BoundedMatch.find(pattern, text, false));
        };
    }

    private static final Set<String> SIMPLE_BESIDE_CONSTANTS = Set.of("type", "pattern", "minLength", "maxLength");

    /** A value's JSON type as the dialect sees it: draft 4 counts 1.0 as a number, later drafts as an integer. */
    private String jsonType(JsonNode v) {
        return v.isNumber() ? isIntegral(v) ? "integer" : "number" : v.isObject() ? "object" : v.isArray() ? "array"
                : v.isString() ? "string" : v.isBoolean() ? "boolean" : "null";
    }

    private boolean isIntegral(JsonNode v) {
        return dialect == SchemaDialect.DRAFT_04 ? v.isIntegralNumber()
                : v.decimalValue().stripTrailingZeros().scale() <= 0;
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
                    "minProperties", "maxProperties", "patternProperties", "propertyNames", "dependentRequired",
                    "dependencies")) {
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

    /**
     * The values branches allow when each is only a {@code const} or an {@code enum}: those of any branch, or
     * for {@code oneOf} those of exactly one; {@code null} when a branch asserts anything else.
     */
    private List<JsonNode> pooledConstants(JsonNode branches, boolean exactlyOne, String pointer) {
        Map<String, JsonNode> values = new LinkedHashMap<>();
        Map<String, Integer> branchesAllowing = new HashMap<>();
        for (JsonNode branch : branches) {
            JsonNode b = deref(branch, pointer);
            Set<JsonNode> own = b.isObject() ? constants(b) : null;
            if (own == null || hasConstraintsBesides(b, "enum") && !asserts(b, "const")
                    || asserts(b, "const") && hasConstraintsBesides(b, "const")) {
                return null;
            }
            Map<String, JsonNode> distinct = new LinkedHashMap<>();
            own.forEach(v -> distinct.putIfAbsent(canonical(v), v));
            distinct.forEach((key, v) -> {
                values.putIfAbsent(key, v);
                branchesAllowing.merge(key, 1, Integer::sum);
            });
            if (values.size() > MAX_ENUM_VALUES) {
                return null;
            }
        }
        if (exactlyOne) {
            values.keySet().removeIf(key -> branchesAllowing.get(key) > 1);
        }
        if (values.isEmpty()) {
            throw noValue(exactlyOne ? "oneOf" : "anyOf", pointer, exactlyOne ? "no value is allowed by exactly one "
                    + "branch" : "no branch allows a value");
        }
        return new ArrayList<>(values.values());
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
        ObjectNode copy = without(schema, keyword);
        ArrayNode parts = copy.putArray("allOf");
        JsonNode allOf = schema.get("allOf");
        if (allOf != null && allOf.isArray()) {
            allOf.forEach(parts::add);
        }
        parts.add(branch);
        return copy;
    }

    /**
     * A schema object without one keyword, sharing the values of the others (which the compiler never changes):
     * as cheap for a schema with a large value beside the keyword as for a small one. It stands in the schema
     * resource of the original, so it leaves out what would make it a resource of its own ({@code $id}, draft 4's
     * {@code id}, {@code $schema}).
     */
    private static ObjectNode without(JsonNode schema, String keyword) {
        ObjectNode copy = JsonMapper.shared().createObjectNode();
        for (String name : schema.propertyNames()) {
            if (!name.equals(keyword) && !RESOURCE_KEYWORDS.contains(name)) {
                copy.set(name, schema.get(name));
            }
        }
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
                case "properties", "patternProperties" -> v.isObject();
                case "propertyNames" -> v.isObject() || v.isBoolean();
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
            int most = name.equals("enum") ? MAX_ENUM_VALUES : MAX_ALTERNATIVES;
            if (schema.has(name) && schema.get(name).size() > most) {
                throw new UnsupportedSchemaException(name, pointer, "more than " + most + " alternatives");
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
            if (!SUPPORTED.contains(name) && !OBJECT_KEYWORDS.contains(name)) {
                leaveToValidation(name, pointer, "a grammar cannot enforce '" + name + "'");
            }
        }
        JsonNode unique = schema.get("uniqueItems");
        if (unique != null && unique.asBoolean(false)) {
            leaveToValidation("uniqueItems", pointer, "a grammar cannot keep array items distinct");
        }
    }

    /** Assertions on objects that {@link #object} enforces where it can and leaves to validation elsewhere. */
    private static final Set<String> OBJECT_KEYWORDS = Set.of("patternProperties", "propertyNames",
            "dependentRequired", "dependencies");

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
        JsonNode id = document.isObject() ? document.get(dialect == SchemaDialect.DRAFT_04 ? "id" : "$id") : null;
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
            JsonNode anchored = anchor(URLDecoder.decode(path, StandardCharsets.UTF_8), pointer);
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
     * The schema that declares an anchor, as the document's dialect spells it: {@code $anchor} or
     * {@code $dynamicAnchor} from 2019-09 on (and without a declared draft, as the validator reads it), an
     * {@code $id} (draft 4: {@code id}) of the form {@code #name} before. Searched without recursion, in schema positions
     * only (not in {@code const}, {@code enum}, {@code default} or {@code examples} data); an anchor declared
     * twice is refused.
     */
    private JsonNode anchor(String name, String pointer) {
        JsonNode root = document;
        boolean plainNames = dialect.compareTo(SchemaDialect.DRAFT_07) > 0;
        String idKeyword = dialect == SchemaDialect.DRAFT_04 ? "id" : "$id";
        java.util.ArrayDeque<JsonNode> pending = new java.util.ArrayDeque<>();
        pending.push(root);
        JsonNode found = null;
        while (!pending.isEmpty()) {
            JsonNode node = pending.pop();
            if (node.isObject()) {
                boolean declares = false;
                for (String key : plainNames ? List.of("$anchor", "$dynamicAnchor") : List.of(idKeyword)) {
                    declares |= node.path(key).isString()
                            && node.get(key).stringValue().equals(plainNames ? name : "#" + name);
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

    private static final Set<String> RESOURCE_KEYWORDS = Set.of("$id", "id", "$schema");

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
                throw noValue("false", pointer + "/allOf/" + i, "the schema 'false' matches no value");
            }
            if (part.isObject()) {
                parts.add(part);
            }
        }
        parts.add(without(schema, "allOf"));
        List<JsonNode> closers = parts.stream().filter(p -> p.has("additionalProperties") || p.has("unevaluatedProperties"))
                .toList();
        List<JsonNode> declarers = parts.stream().filter(p -> p.has("properties") || p.has("patternProperties"))
                .toList();
        if (!closers.isEmpty() && (closers.size() > 1 || declarers.stream().anyMatch(d -> d != closers.get(0)))) {
            leaveToValidation("allOf", pointer, "additionalProperties or unevaluatedProperties in one part do not see "
                    + "properties declared in another");
        }
        if (parts.stream().filter(p -> hasAny(p, "items", "prefixItems", "additionalItems", "unevaluatedItems"))
                .count() > 1) {
            leaveToValidation("allOf", pointer, "items in one part do not see prefixItems or items declared in "
                    + "another");
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
    private JsonNode both(String keyword, JsonNode a, JsonNode b, String pointer) {
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
                    throw noValue("allOf", pointer, "the parts allow no common type: " + a + ", "
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
                        throw noValue("allOf", pointer, "the parts' enums share no value");
                    }
                    return common;
                }
            }
            default -> {
            }
        }
        leaveToValidation("allOf", pointer, "parts set '" + keyword + "' differently (" + abbreviate(a.toString())
                + ", " + abbreviate(b.toString()) + "); the grammar follows the first");
        return a;
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
        if (max != -1 && max < min) {
            throw noValue("maxLength", pointer, "maxLength is below minLength");
        }
        String regex = format == null ? null : FORMATS.get(format.asString());
        if (format != null && regex == null) {
            leaveToValidation("format", pointer, "format '" + format.asString() + "' has no grammar (formats with "
                    + "one: " + String.join(", ", FORMATS.keySet()) + ")");
        }
        if (regex == null && pattern != null) {
            try {
                return lengthsLeftToValidation(schema, pointer, "pattern",
                        quoted(jsonString(RegexGrammar.compile(pattern.asString()))));
            } catch (IllegalArgumentException e) {
                leaveToValidation("pattern", pointer, e.getMessage());
            }
        } else if (regex != null) {
            if (pattern != null) {
                leaveToValidation("pattern", pointer, "a grammar follows format or pattern, not both; it follows the "
                        + "format");
            }
            return lengthsLeftToValidation(schema, pointer, "format", quoted(jsonString(RegexGrammar.compile(regex))));
        }
        return quoted(new GrammarExpr.Repeat(new GrammarExpr.Ref(jsonChar()), min, max));
    }

    /** A string of a pattern or format, whose length bounds, if any, are left to validation. */
    private GrammarExpr lengthsLeftToValidation(JsonNode schema, String pointer, String shape, GrammarExpr string) {
        for (String keyword : List.of("minLength", "maxLength")) {
            if (schema.has(keyword)) {
                leaveToValidation(keyword, pointer, "a grammar follows the " + shape + " but not the string's length");
            }
        }
        return string;
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
        checkMultipleOf(schema, pointer);
        Long min = bound(schema, "minimum", "exclusiveMinimum", true, pointer);
        Long max = bound(schema, "maximum", "exclusiveMaximum", false, pointer);
        if (min != null && max != null && min > max) {
            throw noValue("minimum", pointer, "no integer lies between the bounds");
        }
        long[] range = INTEGER_FORMATS.get(schema.path("format").asString(""));
        Long narrowedMin = narrowed(min, range, true);
        Long narrowedMax = narrowed(max, range, false);
        boolean fits = range == null || narrowedMin <= narrowedMax;
        Long lo = fits ? narrowedMin : min;
        Long hi = fits ? narrowedMax : max;
        return rule("integer " + lo + " " + hi, "integer", () -> IntegerRange.expr(lo, hi, MAX_DIGITS));
    }

    /** A bound narrowed to an integer format's range, when the schema names one. */
    private static Long narrowed(Long bound, long[] range, boolean lower) {
        if (range == null) {
            return bound;
        }
        long limit = lower ? range[0] : range[1];
        return bound == null ? limit : lower ? Math.max(bound, limit) : Math.min(bound, limit);
    }

    private GrammarExpr number(JsonNode schema, String pointer) {
        int fractionDigits = fractionDigits(schema, pointer);
        if (hasAny(schema, "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")) {
            return boundedNumber(schema, pointer, fractionDigits);
        }
        if (fractionDigits < MAX_DIGITS) {
            GrammarExpr integral = IntegerRange.expr(0L, null, MAX_DIGITS);
            return rule("decimal " + fractionDigits, "number", () -> seq(optional(literal("-")), integral,
                    fractionDigits == 0 ? GrammarExpr.EMPTY : optional(seq(literal("."), new GrammarExpr.Repeat(
                            new GrammarExpr.Chars(CharClass.range('0', '9')), 1, fractionDigits)))));
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
    private GrammarExpr boundedNumber(JsonNode schema, String pointer, int fractionDigits) {
        long limit = (long) Math.pow(10, MAX_DIGITS) - 1;
        long low = integerBound(schema, "minimum", "exclusiveMinimum", true, limit, pointer);
        long high = integerBound(schema, "maximum", "exclusiveMaximum", false, limit, pointer);
        if (low > high && fractionDigits == 0) {
            throw noValue("minimum", pointer, "no multiple of multipleOf lies between the bounds");
        }
        if (low > high) {
            leaveToValidation(boundKeyword(schema), pointer, "the bounds hold no "
                    + "integer and no two consecutive integers, which is what the grammar writes; it writes numbers "
                    + "from " + (low - 1) + " to " + (high + 1));
            low--;
            high++;
        }
        long lo = low;
        long hi = high;
        return rule("number " + lo + " " + hi + " " + fractionDigits, "number",
                () -> new GrammarExpr.Alt(numbersBetween(lo, hi, fractionDigits)));
    }

    /** The bound keyword a schema has, to name it. */
    private static String boundKeyword(JsonNode schema) {
        for (String keyword : List.of("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum")) {
            if (schema.has(keyword)) {
                return keyword;
            }
        }
        return "minimum";
    }

    /**
     * Integers from {@code low} to {@code high} (at most), and decimals of up to {@code fractionDigits} digits
     * between two consecutive ones.
     */
    private static List<GrammarExpr> numbersBetween(long low, long high, int fractionDigits) {
        GrammarExpr fraction = seq(literal("."), new GrammarExpr.Repeat(new GrammarExpr.Chars(CharClass.range('0',
                '9')), 1, fractionDigits));
        List<GrammarExpr> options = new ArrayList<>();
        if (low <= high) {
            options.add(IntegerRange.expr(low, high, MAX_DIGITS));
        }
        if (fractionDigits == 0) {
            return options;
        }
        if (Math.max(low, 0) <= high - 1) {
            options.add(seq(IntegerRange.expr(Math.max(low, 0), high - 1, MAX_DIGITS), fraction));
        }
        if (Math.max(-high, 0) <= -low - 1) {
            options.add(seq(literal("-"), IntegerRange.expr(Math.max(-high, 0), -low - 1, MAX_DIGITS), fraction));
        }
        return options;
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

    /**
     * Leaves {@code multipleOf} on integers to validation unless every integer is a multiple (1, 0.5, 0.25...).
     */
    private void checkMultipleOf(JsonNode schema, String pointer) {
        java.math.BigDecimal multiple = multipleOf(schema);
        if (multiple != null && java.math.BigDecimal.ONE.remainder(multiple).signum() != 0) {
            leaveToValidation("multipleOf", pointer, "a grammar enforces multipleOf on integers only when every "
                    + "integer is a multiple");
        }
    }

    /**
     * How many fraction digits a number may have under {@code multipleOf}: the multiples of m have no more than m
     * has, so the grammar writes no more (and no exponent); {@link #MAX_DIGITS} without one. A power of ten
     * (1, 0.1, 0.01...) is then enforced exactly; any other multipleOf is left to validation.
     */
    private int fractionDigits(JsonNode schema, String pointer) {
        java.math.BigDecimal multiple = multipleOf(schema);
        if (multiple == null) {
            return MAX_DIGITS;
        }
        java.math.BigDecimal m = multiple.stripTrailingZeros();
        int digits = Math.max(0, m.scale());
        if (digits >= MAX_DIGITS) {
            leaveToValidation("multipleOf", pointer, "multipleOf with more than " + MAX_DIGITS + " decimals");
            return MAX_DIGITS;
        }
        if (!(m.unscaledValue().equals(java.math.BigInteger.ONE) && m.scale() >= 0)) {
            leaveToValidation("multipleOf", pointer, "a grammar enforces multipleOf on numbers only for powers of "
                    + "ten (1, 0.1, 0.01...); it writes numbers of up to " + digits + " decimals");
        }
        return digits;
    }

    /** A positive {@code multipleOf}, or {@code null}. */
    private static java.math.BigDecimal multipleOf(JsonNode schema) {
        JsonNode multiple = schema.get("multipleOf");
        return multiple != null && multiple.isNumber() && multiple.decimalValue().signum() > 0
                ? multiple.decimalValue() : null;
    }

    /**
     * An inclusive integer bound from a value and its exclusive form (2020-12 numbers or draft-4 booleans);
     * {@code null} when there is none, or when it lies beyond the integers the grammar writes anyway.
     */
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
        long limit = (long) Math.pow(10, MAX_DIGITS) - 1;
        if (best != null && (lower ? best < -limit : best > limit)) {
            return null;
        }
        if (best != null && (lower ? best > limit : best < -limit)) {
            throw new UnsupportedSchemaException(inclusive, pointer, "integers beyond " + MAX_DIGITS
                    + " digits are not written by the grammar");
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
        boolean closed = additional != null && additional.isBoolean() && !additional.booleanValue();
        JsonNode patterns = asserts(schema, "patternProperties") && !schema.get("patternProperties").isEmpty()
                ? schema.get("patternProperties") : null;
        Map<String, List<String>> dependents = dependentNames(schema, pointer);
        for (boolean grew = true; grew; ) {
            grew = false;
            for (Map.Entry<String, List<String>> d : dependents.entrySet()) {
                if (required.contains(d.getKey())) {
                    grew |= required.addAll(d.getValue());
                }
            }
        }
        Map<String, JsonNode> declared = new LinkedHashMap<>();
        if (properties != null) {
            for (String p : properties.propertyNames()) {
                JsonNode v = properties.get(p);
                if (v.isBoolean() && !v.booleanValue()) {
                    if (required.contains(p)) {
                        throw noValue("required", pointer, "required property '" + p
                                + "' has the schema 'false', which matches no value");
                    }
                    continue;
                }
                declared.put(p, v);
            }
        }
        for (String r : required) {
            if (!declared.containsKey(r)) {
                if (closed && (patterns == null || !matchesAny(patterns, r))) {
                    throw noValue("required", pointer, "required property '" + r
                            + "' is forbidden by additionalProperties");
                }
                declared.put(r, additional == null || additional.isBoolean() ? JsonMapper.shared().getNodeFactory()
                        .booleanNode(true) : additional);
            }
        }
        if (declared.isEmpty()) {
            if (!dependents.isEmpty()) {
                leaveToValidation(schema.has("dependentRequired") ? "dependentRequired" : "dependencies", pointer,
                        "members of a map may be the names other members depend on");
            }
            return map(schema, closed ? null : additional == null ? BooleanNode.TRUE : additional, patterns, pointer);
        }
        for (Map.Entry<String, List<String>> d : dependents.entrySet()) {
            if (!required.containsAll(d.getValue())) {
                declared.remove(d.getKey());
            }
        }
        if (patterns != null && declared.keySet().stream().anyMatch(name -> matchesAny(patterns, name))) {
            leaveToValidation("patternProperties", pointer, "the schemas of patternProperties that a declared "
                    + "property's name matches");
        }
        if (asserts(schema, "propertyNames") && !declared.keySet().stream().allMatch(name -> validName(schema, name))) {
            leaveToValidation("propertyNames", pointer, "propertyNames that the names of declared properties do not "
                    + "all satisfy");
        }
        checkPropertyCounts(schema, pointer, required.size(), declared.size());
        List<GrammarExpr> mandatory = new ArrayList<>();
        List<GrammarExpr> optionals = new ArrayList<>();
        for (Map.Entry<String, JsonNode> p : declared.entrySet()) {
            String childPointer = pointer + "/properties/" + escape(p.getKey());
            boolean mandated = required.contains(p.getKey());
            GrammarExpr v = mandated ? value(p.getValue(), childPointer) : valueOrNothing(p.getValue(), childPointer);
            if (v != null) {
                GrammarExpr kv = seq(jsonLiteral(JsonMapper.shared().getNodeFactory().stringNode(p.getKey())), colon(),
                        v);
                (mandated ? mandatory : optionals).add(kv);
            }
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

    /**
     * The names each property requires when present ({@code dependentRequired}, or the array form of
     * {@code dependencies}). The grammar enforces them by making the dependents of a required property required,
     * and by never writing an optional property whose dependents are not all required (a sound subset);
     * {@code dependencies} with a schema are left to validation.
     */
    private Map<String, List<String>> dependentNames(JsonNode schema, String pointer) {
        Map<String, List<String>> dependents = new LinkedHashMap<>();
        for (String keyword : List.of("dependentRequired", "dependencies")) {
            JsonNode map = asserts(schema, keyword) ? schema.get(keyword) : null;
            if (map == null || !map.isObject()) {
                continue;
            }
            for (String trigger : map.propertyNames()) {
                JsonNode names = map.get(trigger);
                if (names.isArray() && allMatch(names, JsonNode::isString)) {
                    List<String> list = new ArrayList<>(dependents.getOrDefault(trigger, List.of()));
                    names.forEach(n -> list.add(n.stringValue()));
                    dependents.put(trigger, list);
                } else {
                    leaveToValidation(keyword, pointer, "the schema '" + abbreviate(trigger) + "' depends on");
                }
            }
        }
        return dependents;
    }

    private void checkPropertyCounts(JsonNode schema, String pointer, int required, int declared) {
        JsonNode min = schema.get("minProperties");
        JsonNode max = schema.get("maxProperties");
        if (min != null && min.asDouble() > required) {
            leaveToValidation("minProperties", pointer, "minProperties above the number of required properties");
        }
        if (max != null && max.asDouble() < declared) {
            leaveToValidation("maxProperties", pointer, "maxProperties below the number of properties that may "
                    + "appear");
        }
    }

    /**
     * An object whose members are not named in advance: each matches a pattern of {@code patternProperties}
     * (name and value), or is an additional member ({@code additional}: its schema, or {@code null} when there
     * are none), with {@code propertyNames} and the property counts. Names are not kept distinct by the grammar,
     * nor, when patterns overlap, held to every pattern they match: validation checks those.
     */
    private GrammarExpr map(JsonNode schema, JsonNode additional, JsonNode patterns, String pointer) {
        List<GrammarExpr> members = new ArrayList<>();
        if (patterns != null) {
            for (String pattern : patterns.propertyNames()) {
                JsonNode valueSchema = patterns.get(pattern);
                if (members.size() == MAX_ALTERNATIVES || valueSchema.isBoolean() && !valueSchema.booleanValue()) {
                    continue;
                }
                GrammarExpr name;
                try {
                    name = quoted(jsonString(RegexGrammar.compile(pattern)));
                } catch (IllegalArgumentException e) {
                    leaveToValidation("patternProperties", pointer, "the pattern '" + abbreviate(pattern)
                            + "' has no grammar: " + e.getMessage());
                    continue;
                }
                GrammarExpr v = valueOrNothing(valueSchema, pointer + "/patternProperties/" + escape(pattern));
                if (v != null) {
                    members.add(seq(name, colon(), v));
                }
            }
            if (patterns.size() > 1 || additional != null) {
                leaveToValidation("patternProperties", pointer, "a name may match several patterns, or a pattern and "
                        + "additionalProperties");
            }
            if (asserts(schema, "propertyNames")) {
                leaveToValidation("propertyNames", pointer, "names written by patternProperties");
            }
        }
        if (additional != null) {
            GrammarExpr name = asserts(schema, "propertyNames") ? propertyName(schema.get("propertyNames"), pointer)
                    : string(JsonMapper.shared().createObjectNode(), pointer);
            if (name != null) {
                GrammarExpr v = valueOrNothing(additional, pointer + "/additionalProperties");
                if (v != null) {
                    members.add(seq(name, colon(), v));
                }
            }
        }
        int min = count(schema, "minProperties", 0, pointer);
        int max = count(schema, "maxProperties", -1, pointer);
        if (min > 1) {
            leaveToValidation("minProperties", pointer, "a grammar does not keep the names of members distinct");
        }
        if (members.isEmpty() || max == 0) {
            if (min > 0) {
                throw noValue("minProperties", pointer, "no property is allowed");
            }
            return seq(literal("{"), padding(), literal("}"));
        }
        if (max != -1 && max < min) {
            throw noValue("maxProperties", pointer, "maxProperties is below minProperties");
        }
        GrammarExpr member = members.size() == 1 ? members.get(0) : own("member", new GrammarExpr.Alt(members));
        GrammarExpr more = new GrammarExpr.Repeat(seq(comma(), member), Math.max(min - 1, 0), max == -1 ? -1 : max - 1);
        GrammarExpr list = seq(member, more);
        return seq(literal("{"), padding(), min == 0 ? optional(list) : list, padding(), literal("}"));
    }

    /** The names {@code propertyNames} allows, as JSON strings; {@code null} when it allows none. */
    private GrammarExpr propertyName(JsonNode propertyNames, String pointer) {
        if (propertyNames.isBoolean()) {
            return propertyNames.booleanValue() ? string(JsonMapper.shared().createObjectNode(), pointer) : null;
        }
        ObjectNode names = JsonMapper.shared().createObjectNode().put("type", "string");
        names.putArray("allOf").add(propertyNames);
        return valueOrNothing(names, pointer + "/propertyNames");
    }

    /** Whether a pattern of {@code patternProperties} matches a name (a pattern Java cannot read counts as one). */
    private static boolean matchesAny(JsonNode patterns, String name) {
        for (String pattern : patterns.propertyNames()) {
            try {
                if (BoundedMatch.find(java.util.regex.Pattern.compile(pattern), name, true)) {
                    return true;
                }
            } catch (java.util.regex.PatternSyntaxException e) {
                return true;
            }
        }
        return false;
    }

    /** Whether a name satisfies the schema's {@code propertyNames} (checked by the validator). */
    private boolean validName(JsonNode schema, String name) {
        JsonSchema names = alone(schema.get("propertyNames"));
        return names != null && names.validate(JsonMapper.shared().getNodeFactory().stringNode(name).toString())
                .isEmpty();
    }

    // ---- arrays

    private GrammarExpr array(JsonNode schema, String pointer) {
        int min = count(schema, "minItems", 0, pointer);
        int max = count(schema, "maxItems", -1, pointer);
        if (max != -1 && max < min) {
            throw noValue("maxItems", pointer, "maxItems is below minItems");
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
        boolean cut = false;
        if (prefixItems != null) {
            for (int i = 0; i < prefixItems.size() && (max == -1 || i < max) && !cut; i++) {
                GrammarExpr item = valueOrNothing(prefixItems.get(i), pointer + "/prefixItems/" + i);
                cut = item == null;
                if (!cut) {
                    prefix.add(item);
                }
            }
        }
        boolean closed = cut || items != null && items.isBoolean() && !items.booleanValue();
        GrammarExpr rest = closed ? null : items == null ? any() : valueOrNothing(items, itemsPointer);
        if (rest == null && min > prefix.size()) {
            throw noValue("minItems", pointer, "minItems exceeds the items allowed");
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

    /**
     * A count keyword's value; an upper bound above {@link #MAX_COUNT} is lowered to it (the grammar then writes
     * fewer items or characters than allowed, never more).
     */
    private static int count(JsonNode schema, String keyword, int absent, String pointer) {
        JsonNode v = schema.get(keyword);
        if (v == null) {
            return absent;
        }
        if (!v.isNumber() || v.asDouble() < 0 || v.asDouble() != Math.floor(v.asDouble())) {
            throw new UnsupportedSchemaException(keyword, pointer, keyword + " must be a non-negative integer");
        }
        if (v.asDouble() > MAX_COUNT) {
            if (keyword.startsWith("max")) {
                return MAX_COUNT;
            }
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
