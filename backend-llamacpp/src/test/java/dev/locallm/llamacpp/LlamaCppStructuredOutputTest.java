package dev.locallm.llamacpp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.locallm.ChatModel;
import dev.locallm.LocalLm;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.ChatResponse;
import dev.locallm.chat.ResponseFormat;
import dev.locallm.chat.TruncationPolicy;
import dev.locallm.engine.grammar.JsonSchemaGrammar;
import dev.locallm.error.StructuredOutputException;
import dev.locallm.error.TruncatedOutputException;
import dev.locallm.error.UnsupportedSchemaException;
import dev.locallm.schema.Description;
import dev.locallm.schema.JsonSchema;
import dev.locallm.testkit.TestModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Constrained decoding on the real stories260K model: the model knows no JSON, the grammar makes it write it. */
@Timeout(300)
class LlamaCppStructuredOutputTest {
    static ChatModel model;

    @BeforeAll
    static void open() {
        model = LocalLm.chatModel("gguf:" + TestModels.require(TestModels.STORIES_CHATML) + "?threads=1&parallel=2");
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Description("A pet")
    record Pet(@Description("The pet's name") String name, int age, boolean happy, List<String> toys,
               Optional<String> color, Kind kind) { }

    enum Kind { DOG, CAT, FISH }

    @Test
    void streamingAndBlockingGiveTheSameJson() {
        ChatRequest request = ChatRequest.builder().user("Describe a pet")
                .responseFormat(ResponseFormat.jsonSchema(JsonSchema.from(Pet.class)))
                .truncationPolicy(TruncationPolicy.CLOSE_JSON)
                .options(o -> o.temperature(0).seed(1).maxTokens(200)).build();
        ChatResponse blocking = model.chat(request);
        String streamed;
        try (var stream = model.chatStream(request)) {
            streamed = stream.stream().map(c -> c.text()).reduce("", String::concat);
        }
        assertThat(streamed).isEqualTo(blocking.text());
        assertThat(JsonSchema.from(Pet.class).validate(streamed)).isEmpty();
    }

    @Test
    void jsonObjectModeGivesAnObject() {
        ChatResponse r = model.chat(ChatRequest.builder().user("Anything").responseFormat(ResponseFormat.JSON_OBJECT)
                .truncationPolicy(TruncationPolicy.CLOSE_JSON).options(o -> o.seed(4).maxTokens(120)).build());
        assertThat(JsonMapper.shared().readTree(r.text()).isObject()).isTrue();
    }

    /** A schema of the JSON-Schema-Test-Suite, and where it is. */
    private record SuiteSchema(String where, JsonSchema schema) { }

    private static List<SuiteSchema> suiteSchemas() throws IOException {
        List<Path> files;
        try (Stream<Path> list = Files.list(TestModels.schemaTestSuite())) {
            files = list.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
        List<SuiteSchema> schemas = new ArrayList<>();
        for (Path file : files) {
            for (JsonNode group : JsonMapper.shared().readTree(Files.readString(file))) {
                schemas.add(new SuiteSchema(file.getFileName() + " / " + group.get("description").asString(),
                        JsonSchema.parse(JsonMapper.shared().writeValueAsString(group.get("schema")))));
            }
        }
        return schemas;
    }

    /** Every schema of the JSON-Schema-Test-Suite that compiles: llama.cpp parses the GBNF and obeys it. */
    @Test
    void everyCompilableSuiteSchemaIsEnforcedByLlamaCpp() throws IOException {
        List<String> failures = new ArrayList<>();
        int checked = 0;
        for (SuiteSchema s : suiteSchemas()) {
            try {
                JsonSchemaGrammar.compile(s.schema());
            } catch (UnsupportedSchemaException e) {
                continue;
            }
            checked++;
            ChatResponse r = model.chat(ChatRequest.builder().user("Answer")
                    .responseFormat(ResponseFormat.jsonSchema(s.schema())).truncationPolicy(TruncationPolicy.CLOSE_JSON)
                    .options(o -> o.temperature(1.0).seed(7).maxTokens(48)).build());
            List<String> errors = s.schema().validate(r.text());
            if (!errors.isEmpty()) {
                failures.add(s.where() + ": " + r.text() + " " + errors);
            }
        }
        assertThat(checked).isGreaterThan(100);
        assertThat(failures).isEmpty();
    }

    /**
     * Every suite schema that compiles only by leaving assertions to validation, on the real model: each reply
     * that comes back validates and names what validation checked; the rest end in a typed error after their
     * samples (or the token limit).
     */
    @Test
    void schemasLeavingAssertionsToValidationGiveValidRepliesOrATypedError() throws IOException {
        int schemas = 0;
        int valid = 0;
        int sampledAgain = 0;
        int failed = 0;
        int truncated = 0;
        List<String> wrong = new ArrayList<>();
        for (SuiteSchema s : suiteSchemas()) {
            try {
                if (JsonSchemaGrammar.compileLeavingToValidation(s.schema(), false).unenforced().isEmpty()) {
                    continue;
                }
            } catch (UnsupportedSchemaException e) {
                continue;
            }
            schemas++;
            try {
                ChatResponse r = model.chat(ChatRequest.builder().user("Answer")
                        .responseFormat(ResponseFormat.jsonSchema(s.schema()))
                        .options(o -> o.temperature(1.0).seed(7).maxTokens(48)).build());
                if (!s.schema().validate(r.text()).isEmpty() || r.validatedAssertions().isEmpty()) {
                    wrong.add(s.where() + ": " + r.text() + " " + r.validatedAssertions());
                }
                valid++;
                sampledAgain += r.attempts() > 1 ? 1 : 0;
            } catch (TruncatedOutputException e) {
                truncated++;
            } catch (StructuredOutputException e) {
                failed++;
                if (e.attempts().size() != 4) {
                    wrong.add(s.where() + ": " + e.attempts().size() + " attempts");
                }
            }
        }
        System.out.printf("stories260K on %d suite schemas that leave assertions to validation: %d valid replies "
                + "(%d of them sampled again), %d invalid after 4 samples, %d cut by the token limit%n", schemas,
                valid, sampledAgain, failed, truncated);
        assertThat(wrong).isEmpty();
        assertThat(schemas).isGreaterThan(100);
        assertThat(valid).isGreaterThan(schemas / 2);
    }
}
