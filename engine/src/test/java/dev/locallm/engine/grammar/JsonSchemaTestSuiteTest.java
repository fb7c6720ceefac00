package dev.locallm.engine.grammar;

import static org.assertj.core.api.Assertions.assertThat;

import dev.locallm.error.UnsupportedSchemaException;
import dev.locallm.schema.JsonSchema;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The grammar compiler on every schema of the official JSON-Schema-Test-Suite (drafts 2020-12 and 7, required
 * tests; draft 7's schemas declare their draft, as the suite's README asks of a runner):
 * each schema either compiles or is refused with {@link UnsupportedSchemaException}; a compiled grammar never
 * accepts an instance the suite marks invalid, and every value it generates validates. How many schemas compile
 * and how many valid instances the grammar accepts are reported, not asserted beyond a floor.
 */
class JsonSchemaTestSuiteTest {

    /** The suite folder; core cannot use testkit's TestModels (testkit depends on core), hence this copy of its rule. */
    static Path suite() {
        return suite("draft2020-12");
    }

    static Path suite(String draft) {
        String configured = System.getProperty("locallm.test.schema-suite", "../../shared/json-schema-test-suite");
        Path dir = Path.of(configured, "tests", draft);
        if (!Files.isDirectory(dir)) {
            String message = "JSON-Schema-Test-Suite not found at " + dir.toAbsolutePath();
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                throw new AssertionError(message + "; CI=true, so this fails instead of skipping");
            }
            Assumptions.abort(message);
        }
        return dir;
    }

    record Outcome(int schemas, int compiled, int leavingToValidation, int invalidInstances, int validInstances,
                   int validAccepted, Map<String, Integer> refusedBy) { }

    static Outcome run(Path dir, int samplesPerSchema, List<String> unsound) throws IOException {
        return run(dir, null, true, samplesPerSchema, unsound);
    }

    /**
     * Runs one draft's folder; {@code dialect}, when given, is set as each schema's {@code $schema}. A grammar
     * that leaves nothing to validation must be sound; one that does may accept invalid instances (validation
     * after generation rejects them), and what it generates must still be JSON.
     */
    static Outcome run(Path dir, String dialect, boolean grammarOnly, int samplesPerSchema, List<String> unsound)
            throws IOException {
        int schemas = 0;
        int compiled = 0;
        int leaving = 0;
        int invalid = 0;
        int valid = 0;
        int validAccepted = 0;
        Map<String, Integer> refusedBy = new TreeMap<>();
        List<Path> files;
        try (Stream<Path> list = Files.list(dir)) {
            files = list.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
        for (Path file : files) {
            JsonNode groups = JsonMapper.shared().readTree(Files.readString(file));
            for (JsonNode group : groups) {
                schemas++;
                String where = file.getFileName() + ": " + group.get("description").asString();
                JsonNode node = group.get("schema");
                if (dialect != null && node.isObject() && !node.has("$schema")) {
                    ((tools.jackson.databind.node.ObjectNode) node).put("$schema", dialect);
                }
                JsonSchema schema = JsonSchema.parse(JsonMapper.shared().writeValueAsString(node));
                Grammar grammar;
                try {
                    grammar = grammarOnly ? JsonSchemaGrammar.compile(schema)
                            : JsonSchemaGrammar.compileLeavingToValidation(schema, false);
                } catch (UnsupportedSchemaException e) {
                    refusedBy.merge(e.keyword(), 1, Integer::sum);
                    continue;
                }
                compiled++;
                boolean sound = grammar.unenforced().isEmpty();
                leaving += sound ? 0 : 1;
                for (JsonNode test : group.get("tests")) {
                    String text = JsonLayout.COMPACT.write(test.get("data"));
                    boolean accepted = grammar.start().matchesCompletely(text);
                    if (test.get("valid").asBoolean()) {
                        valid++;
                        validAccepted += accepted ? 1 : 0;
                    } else {
                        invalid++;
                        if (accepted && sound) {
                            unsound.add(where + " accepts invalid " + text);
                        }
                    }
                }
                SplittableRandom random = new SplittableRandom(where.hashCode());
                for (int i = 0; i < samplesPerSchema; i++) {
                    String sample = GrammarSampler.sample(grammar, random, 120);
                    List<String> errors = sound ? schema.validate(sample)
                            : JsonSchema.parse("true").validate(sample);
                    if (!errors.isEmpty()) {
                        unsound.add(where + " generated " + sample + ": " + errors);
                        break;
                    }
                }
            }
        }
        return new Outcome(schemas, compiled, leaving, invalid, valid, validAccepted, refusedBy);
    }

    @Test
    void compiledGrammarsAreSoundOnTheOfficialSuite() throws IOException {
        // given
        Path dir = suite();
        List<String> unsound = new ArrayList<>();
        // when
        Outcome o = run(dir, 20, unsound);
        // then
        System.out.printf("JSON-Schema-Test-Suite draft2020-12: %d schemas, %d compiled (%.0f%%); valid instances "
                        + "accepted %d/%d; invalid instances rejected %d/%d; refused by keyword: %s%n", o.schemas(),
                o.compiled(), 100.0 * o.compiled() / o.schemas(), o.validAccepted(), o.validInstances(),
                o.invalidInstances() - unsound.stream().filter(s -> s.contains("accepts invalid")).count(),
                o.invalidInstances(), o.refusedBy());
        assertThat(unsound).as("unsound grammars").isEmpty();
        assertThat(o.compiled()).as("schemas compiled").isGreaterThan(o.schemas() / 3);
    }

    @Test
    void compiledGrammarsAreSoundOnDraft7() throws IOException {
        // given
        Path dir = suite("draft7");
        List<String> unsound = new ArrayList<>();
        // when
        Outcome o = run(dir, "http://json-schema.org/draft-07/schema#", true, 20, unsound);
        // then
        System.out.printf("JSON-Schema-Test-Suite draft7: %d schemas, %d compiled (%.0f%%); valid instances accepted "
                        + "%d/%d; refused by keyword: %s%n", o.schemas(), o.compiled(), 100.0 * o.compiled() / o.schemas(),
                o.validAccepted(), o.validInstances(), o.refusedBy());
        assertThat(unsound).as("unsound grammars").isEmpty();
        assertThat(o.compiled()).as("schemas compiled").isGreaterThan(o.schemas() / 3);
    }

    @Test
    void leavingToValidationCompilesAlmostEverySchemaAndDeclaresWhatItLeaves() throws IOException {
        // given
        Path dir = suite();
        List<String> unsound = new ArrayList<>();
        // when
        Outcome strict = run(dir, 0, new ArrayList<>());
        Outcome o = run(dir, null, false, 20, unsound);
        // then
        System.out.printf("JSON-Schema-Test-Suite draft2020-12, leaving to validation: %d schemas, %d compiled "
                        + "(%.0f%%), %d of them leave assertions to validation; valid instances accepted %d/%d (grammar "
                        + "only: %d/%d); refused by keyword: %s%n", o.schemas(), o.compiled(),
                100.0 * o.compiled() / o.schemas(), o.leavingToValidation(), o.validAccepted(), o.validInstances(),
                strict.validAccepted(), strict.validInstances(), o.refusedBy());
        assertThat(unsound).as("grammars that leave nothing to validation and accept invalid JSON, or that "
                + "generate what is not JSON").isEmpty();
        assertThat(o.compiled() - o.leavingToValidation()).as("grammars that enforce the whole schema")
                .isEqualTo(strict.compiled());
        assertThat(o.compiled()).as("schemas compiled").isGreaterThan(o.schemas() * 3 / 4);
        assertThat(o.validAccepted()).isGreaterThan(strict.validAccepted());
    }
}
