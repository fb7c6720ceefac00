package dev.locallm.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Writes a corpus of large JSON schemas in the shapes real ones have, written here from scratch (no project's
 * schema is copied), for {@link SchemaCorpusBench} to compile: Kubernetes-style resources (deep objects with many
 * optional properties, int-or-string unions, quantity patterns, label maps), Helm-style values (maps with
 * {@code patternProperties}, enums, {@code additionalProperties} schemas), CI workflows ({@code oneOf} job kinds
 * with a discriminator, step lists, expression patterns), {@code package.json}-style manifests (dependency maps
 * with {@code propertyNames}, recursive {@code exports}), and OpenAPI fragments (recursive schema objects through
 * {@code $ref}, {@code allOf} composition, {@code oneOf} with overlapping branches). Sizes grow with each file's
 * index; the corpus is the same for the same seed.
 *
 * <p>Usage: {@code bench/run.sh SchemaShapesCorpus DIR [files per shape, default 20] [seed, default 1]}.
 */
public final class SchemaShapesCorpus {
    private static final JsonMapper JSON = JsonMapper.shared();

    private final SplittableRandom random;

    private SchemaShapesCorpus(long seed) {
        this.random = new SplittableRandom(seed);
    }

    public static void main(String[] args) throws IOException {
        Path dir = Files.createDirectories(Path.of(args[0]));
        int perShape = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        SchemaShapesCorpus shapes = new SchemaShapesCorpus(args.length > 2 ? Long.parseLong(args[2]) : 1);
        for (int i = 0; i < perShape; i++) {
            int size = 4 + i * 6;
            write(dir, "k8s", i, shapes.resource(size));
            write(dir, "helm", i, shapes.values(size));
            write(dir, "workflow", i, shapes.workflow(size));
            write(dir, "package", i, shapes.manifest(size));
            write(dir, "openapi", i, shapes.openApi(size));
        }
        System.out.printf("%d schemas written to %s%n", perShape * 5, dir);
    }

    private static void write(Path dir, String shape, int i, ObjectNode schema) throws IOException {
        Files.writeString(dir.resolve(String.format("%s-%03d.json", shape, i)), JSON.writeValueAsString(schema));
    }

    private static ObjectNode type(String type) {
        return JSON.createObjectNode().put("type", type);
    }

    private ObjectNode scalar() {
        return switch (random.nextInt(6)) {
            case 0 -> type("integer").put("minimum", 0);
            case 1 -> type("boolean");
            case 2 -> type("string").put("maxLength", 63).put("pattern", "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$");
            case 3 -> {
                ObjectNode e = type("string");
                ArrayNode values = e.putArray("enum");
                for (int i = 0; i < 2 + random.nextInt(5); i++) {
                    values.add("Value" + i);
                }
                yield e;
            }
            case 4 -> JSON.createObjectNode().set("anyOf", JSON.createArrayNode().add(type("integer"))
                    .add(type("string").put("pattern", "^[0-9]+(m|Mi|Gi)?$")));
            default -> type("string").put("description", "free text");
        };
    }

    /** An object of {@code width} optional members, nested {@code depth} levels, some required. */
    private ObjectNode object(int width, int depth) {
        ObjectNode o = type("object");
        ObjectNode properties = o.putObject("properties");
        ArrayNode required = JSON.createArrayNode();
        for (int i = 0; i < width; i++) {
            String name = "field" + i;
            ObjectNode value;
            int kind = random.nextInt(10);
            int nested = Math.min(6, Math.max(2, width / 4));
            if (depth > 0 && kind < 3) {
                value = object(nested, depth - 1);
            } else if (depth > 0 && kind < 5) {
                value = type("array");
                value.set("items", object(nested, depth - 1));
            } else if (kind == 5) {
                value = type("object");
                value.set("additionalProperties", type("string"));
            } else {
                value = scalar();
            }
            properties.set(name, value.put("description", "The " + name + "."));
            if (random.nextInt(4) == 0) {
                required.add(name);
            }
        }
        if (!required.isEmpty()) {
            o.set("required", required);
        }
        if (random.nextBoolean()) {
            o.put("additionalProperties", false);
        }
        return o;
    }

    private ObjectNode resource(int size) {
        ObjectNode schema = type("object");
        schema.put("x-kubernetes-group-version-kind", "apps/v1");
        ObjectNode properties = schema.putObject("properties");
        properties.set("apiVersion", type("string"));
        properties.set("kind", type("string").put("const", "Resource"));
        ObjectNode metadata = type("object");
        metadata.putObject("properties").set("labels", type("object").set("additionalProperties", type("string")));
        ((ObjectNode) metadata.get("properties")).set("name", type("string").put("maxLength", 253));
        properties.set("metadata", metadata);
        properties.set("spec", object(size, 3));
        properties.set("status", object(Math.max(2, size / 2), 2));
        schema.set("required", JSON.createArrayNode().add("apiVersion").add("kind").add("spec"));
        return schema;
    }

    private ObjectNode values(int size) {
        ObjectNode schema = type("object");
        schema.put("$schema", "http://json-schema.org/draft-07/schema#");
        ObjectNode properties = schema.putObject("properties");
        for (int i = 0; i < size; i++) {
            ObjectNode component = object(Math.max(2, size / 4), 1);
            component.putObject("patternProperties").set("^x-", JSON.createObjectNode());
            properties.set("component" + i, component);
        }
        ObjectNode env = type("object");
        env.putObject("patternProperties").set("^[A-Z_][A-Z0-9_]*$", type("string"));
        env.put("additionalProperties", false);
        properties.set("env", env);
        properties.set("image", object(3, 0));
        return schema;
    }

    private ObjectNode workflow(int size) {
        ObjectNode schema = type("object");
        ObjectNode defs = schema.putObject("definitions");
        ObjectNode step = type("object");
        ObjectNode stepProperties = step.putObject("properties");
        stepProperties.set("name", type("string"));
        stepProperties.set("run", type("string"));
        stepProperties.set("uses", type("string").put("pattern", "^[a-z-]+/[a-z-]+@v[0-9]+$"));
        stepProperties.set("if", type("string").put("pattern", "^\\$\\{\\{.*\\}\\}$"));
        stepProperties.set("with", type("object").set("additionalProperties", JSON.createObjectNode()
                .set("type", JSON.createArrayNode().add("string").add("number").add("boolean"))));
        step.set("oneOf", JSON.createArrayNode().add(JSON.createObjectNode().set("required",
                JSON.createArrayNode().add("run"))).add(JSON.createObjectNode().set("required",
                JSON.createArrayNode().add("uses"))));
        defs.set("step", step);
        ObjectNode jobs = type("object");
        ObjectNode jobProperties = jobs.putObject("properties");
        for (int i = 0; i < size; i++) {
            ObjectNode job = type("object");
            ObjectNode p = job.putObject("properties");
            p.set("kind", type("string").put("const", i % 2 == 0 ? "build" : "deploy"));
            p.set("runs-on", JSON.createObjectNode().set("oneOf", JSON.createArrayNode().add(type("string"))
                    .add(type("array").set("items", type("string")))));
            p.set("steps", type("array").put("minItems", 1).set("items", JSON.createObjectNode()
                    .put("$ref", "#/definitions/step")));
            p.set("needs", type("array").put("uniqueItems", true).set("items", type("string")));
            job.set("required", JSON.createArrayNode().add("kind").add("steps"));
            jobProperties.set("job" + i, job);
        }
        schema.putObject("properties").set("jobs", jobs);
        ((ObjectNode) schema.get("properties")).set("on", JSON.createObjectNode().set("oneOf",
                JSON.createArrayNode().add(type("string").set("enum", JSON.createArrayNode().add("push")
                        .add("pull_request"))).add(type("object").set("properties", JSON.createObjectNode()
                        .set("push", type("object")).set("schedule", type("array").set("items", type("object")
                                .set("properties", JSON.createObjectNode().set("cron", type("string")))))))));
        return schema;
    }

    private ObjectNode manifest(int size) {
        ObjectNode schema = type("object");
        ObjectNode properties = schema.putObject("properties");
        properties.set("name", type("string").put("maxLength", 214).put("pattern", "^(?:@[a-z0-9-~][a-z0-9-._~]*/)?"
                + "[a-z0-9-~][a-z0-9-._~]*$"));
        properties.set("version", type("string").put("pattern", "^[0-9]+\\.[0-9]+\\.[0-9]+$"));
        for (String deps : new String[] {"dependencies", "devDependencies", "peerDependencies"}) {
            ObjectNode map = type("object");
            map.putObject("propertyNames").put("pattern", "^(@[a-z0-9-]+/)?[a-z0-9.-]+$");
            map.set("additionalProperties", type("string"));
            map.put("maxProperties", size * 4);
            properties.set(deps, map);
        }
        ObjectNode scripts = type("object");
        scripts.set("additionalProperties", type("string"));
        properties.set("scripts", scripts);
        ObjectNode exports = JSON.createObjectNode();
        exports.set("anyOf", JSON.createArrayNode().add(type("string")).add(type("object")
                .set("additionalProperties", JSON.createObjectNode().put("$ref", "#/properties/exports"))));
        properties.set("exports", exports);
        properties.set("config", object(size, 2));
        schema.set("required", JSON.createArrayNode().add("name").add("version"));
        return schema;
    }

    private ObjectNode openApi(int size) {
        ObjectNode schema = JSON.createObjectNode();
        ObjectNode defs = schema.putObject("$defs");
        ObjectNode schemaObject = type("object");
        ObjectNode sp = schemaObject.putObject("properties");
        sp.set("type", type("string").set("enum", JSON.createArrayNode().add("object").add("array").add("string")
                .add("integer").add("number").add("boolean")));
        sp.set("properties", type("object").set("additionalProperties", JSON.createObjectNode()
                .put("$ref", "#/$defs/schema")));
        sp.set("items", JSON.createObjectNode().put("$ref", "#/$defs/schema"));
        sp.set("required", type("array").put("uniqueItems", true).set("items", type("string")));
        sp.set("nullable", type("boolean"));
        defs.set("schema", schemaObject);
        ObjectNode entities = type("object");
        ObjectNode ep = entities.putObject("properties");
        for (int i = 0; i < size; i++) {
            ObjectNode base = object(Math.max(2, size / 5), 1);
            defs.set("Base" + i, base);
            ObjectNode entity = JSON.createObjectNode();
            entity.set("allOf", JSON.createArrayNode().add(JSON.createObjectNode().put("$ref", "#/$defs/Base" + i))
                    .add(type("object").set("properties", JSON.createObjectNode().set("id", type("integer")))));
            ep.set("Entity" + i, entity);
        }
        ObjectNode pet = JSON.createObjectNode();
        pet.set("oneOf", JSON.createArrayNode().add(type("object").set("properties", JSON.createObjectNode()
                .set("barks", type("boolean")))).add(type("object").set("properties", JSON.createObjectNode()
                .set("meows", type("boolean")))));
        ep.set("Pet", pet);
        ep.set("Schema", JSON.createObjectNode().put("$ref", "#/$defs/schema"));
        schema.put("type", "object");
        schema.putObject("properties").set("components", entities);
        return schema;
    }
}
