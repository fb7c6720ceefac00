package dev.locallm.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.locallm.ChatModel;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.ChatResponse;
import dev.locallm.chat.FinishReason;
import dev.locallm.chat.GenerationOptions;
import dev.locallm.chat.ResponseFormat;
import dev.locallm.chat.TruncationPolicy;
import dev.locallm.engine.grammar.Grammar;
import dev.locallm.engine.grammar.GrammarState;
import dev.locallm.engine.grammar.JsonSchemaGrammar;
import dev.locallm.schema.JsonSchema;
import dev.locallm.spi.GenerationEvent;
import dev.locallm.tool.ToolChoice;
import dev.locallm.tool.ToolSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Grammar-constrained decoding on stories260K-onnx: the model knows no JSON, the token masks make it write it. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class OnnxStructuredOutputTest {
    private static final Logger LOG = LoggerFactory.getLogger(OnnxStructuredOutputTest.class);
    private static final JsonSchema RECORD = JsonSchema.parse("""
            {"type":"object","properties":{"id":{"type":"integer","minimum":1,"maximum":999},
             "name":{"type":"string","maxLength":20},"kind":{"enum":["dog","cat","fish"]},
             "scores":{"type":"array","items":{"type":"number","minimum":0},"minItems":1,"maxItems":3},
             "happy":{"type":"boolean"}},
             "required":["id","name","kind","scores","happy"],"additionalProperties":false}""");

    private ChatModel model;

    @BeforeAll
    void open() {
        model = OnnxBackendTest.openOnnx("");
    }

    @AfterAll
    void close() {
        if (model != null) {
            model.close();
        }
    }

    @Test
    void schemaOutputValidatesForEverySeed() {
        for (long seed = 0; seed < 8; seed++) {
            long s = seed;
            ChatResponse r = model.chat(ChatRequest.builder().user("Describe a pet")
                    .responseFormat(ResponseFormat.jsonSchema("record", RECORD))
                    .truncationPolicy(TruncationPolicy.CLOSE_JSON)
                    .options(o -> o.temperature(1.0).seed(s).maxTokens(300)).build());
            assertThat(RECORD.validate(r.text())).as(r.text()).isEmpty();
        }
    }

    @Test
    void aCutJsonEndsWithLengthAndIsClosedByCore() {
        ChatResponse r = model.chat(ChatRequest.builder().user("Describe a pet")
                .responseFormat(ResponseFormat.jsonSchema(RECORD)).truncationPolicy(TruncationPolicy.CLOSE_JSON)
                .options(o -> o.temperature(1.0).seed(2).maxTokens(5)).build());
        assertThat(r.finishReason()).isEqualTo(FinishReason.LENGTH);
        assertThat(RECORD.validate(r.text())).as(r.text()).isEmpty();
    }

    /** Forced calls with one short tool, so that the prompt fits the 512-token context. */
    @Test
    void forcedCallsCallTheToolWithValidArguments() {
        ToolSpec time = ToolSpec.of("get_time", "Time in a city", JsonSchema.parse(
                "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\",\"maxLength\":12}},"
                        + "\"required\":[\"city\"],\"additionalProperties\":false}"));
        for (long seed = 0; seed < 4; seed++) {
            long s = seed;
            ToolChoice choice = seed % 2 == 0 ? ToolChoice.REQUIRED : ToolChoice.named("get_time");
            ChatResponse r = model.chat(ChatRequest.builder().user("Time?").tools(time).toolChoice(choice)
                    .truncationPolicy(TruncationPolicy.CLOSE_JSON)
                    .options(o -> o.temperature(0.9).seed(s).maxTokens(100)).build());
            assertThat(r.finishReason()).isEqualTo(FinishReason.TOOL_CALLS);
            assertThat(r.toolCalls()).isNotEmpty().allSatisfy(c -> {
                assertThat(c.name()).isEqualTo("get_time");
                assertThat(time.parameters().validate(c.arguments())).as(c.arguments()).isEmpty();
            });
        }
    }

    @Test
    void theTrieWalkAllowsWhatAdvancingByEachTokenAllowsOnTheRealVocabulary() {
        try (OnnxChatEngine engine = OnnxChatEngine.open(OnnxBackendTest.folder(),
                OnnxOptions.builder().threads(1).build())) {
            TokenTrie trie = engine.trie(512);
            assertThat(trie.text(259)).isEqualTo(" t");
            assertThat(trie.text(126)).isEqualTo("{");
            assertThat(trie.text(229)).isNull();
            Grammar g = JsonSchemaGrammar.compile(RECORD);
            SplittableRandom random = new SplittableRandom(9);
            GrammarState state = g.start();
            long walkNanos = 0;
            long loopNanos = 0;
            for (int step = 0; step < 300 && !state.isFinished(); step++) {
                boolean[] walked = new boolean[512];
                long start = System.nanoTime();
                trie.allow(state, walked);
                walkNanos += System.nanoTime() - start;
                List<Integer> expected = new ArrayList<>();
                start = System.nanoTime();
                for (int id = 0; id < 512; id++) {
                    String text = trie.text(id);
                    if (text != null && state.advance(text).isPresent()) {
                        expected.add(id);
                    }
                }
                loopNanos += System.nanoTime() - start;
                assertThat(IntStream.range(0, 512).filter(i -> walked[i]).boxed().toList()).isEqualTo(expected);
                assertThat(expected).isNotEmpty();
                state = state.advance(trie.text(expected.get(random.nextInt(expected.size())))).orElseThrow();
            }
            LOG.info("Allowed tokens of a random walk: trie {} ms, advancing by every token {} ms",
                    walkNanos / 1_000_000, loopNanos / 1_000_000);
        }
    }

    /**
     * A grammar that starts at an opening, as calls under {@code tool_choice} auto do: the model writes freely until
     * it writes a quote (dialogue, in a story), then the grammar's {@code "yes"} or {@code "no"} follows it and the
     * turn ends. The real model chose the text before; the mask only what follows the opening.
     */
    @Test
    void aGrammarFromAnOpeningLeavesTheTextBeforeItFreeAndRulesAfterIt() {
        try (OnnxChatEngine engine = OnnxChatEngine.open(OnnxBackendTest.folder(),
                OnnxOptions.builder().threads(1).build())) {
            Grammar answer = JsonSchemaGrammar.compile(JsonSchema.parse("{\"enum\":[\"yes\",\"no\"]}"));
            String prompt = "Once upon a time";
            int opened = 0;
            int longestFreeText = 0;
            for (long seed = 0; seed < 6; seed++) {
                long s = seed;
                OnnxGeneration generation = engine.generate(prompt,
                        GenerationOptions.of(o -> o.temperature(s == 0 ? 0 : 0.8).seed(s).maxTokens(200)),
                        engine.mask(answer, "\"", true));
                StringBuilder text = new StringBuilder();
                GenerationEvent event;
                while (!((event = generation.next()) instanceof GenerationEvent.Finished)) {
                    text.append(((GenerationEvent.Text) event).text());
                }
                generation.close();
                LOG.debug("seed {}: {}", seed, text);
                int quote = text.indexOf("\"");
                if (quote < 0) {
                    continue;
                }
                opened++;
                longestFreeText = Math.max(longestFreeText, quote);
                assertThat(text.substring(quote)).as(text.toString()).isIn("\"yes\"", "\"no\"");
                assertThat(((GenerationEvent.Finished) event).reason()).as(text.toString())
                        .isEqualTo(FinishReason.STOP);
            }
            assertThat(opened).as("generations that wrote a quote").isGreaterThan(0);
            assertThat(longestFreeText).as("the story the model wrote before a quote").isGreaterThan(40);
        }
    }

    /** Logs the mask cost per token (the README's figure); asserts no timing. */
    @Test
    void maskCostPerTokenIsMeasured() {
        String folder = System.getProperty("locallm.onnx.overhead.model");
        int generations = Integer.getInteger("locallm.onnx.overhead.generations", 30);
        int warmUps = generations / 3;
        try (OnnxChatEngine engine = OnnxChatEngine.open(folder == null ? OnnxBackendTest.folder()
                : java.nio.file.Path.of(folder), OnnxOptions.builder()
                .threads(Integer.getInteger("locallm.onnx.overhead.threads", 1)).build())) {
            Grammar g = JsonSchemaGrammar.compile(RECORD);
            String prompt = engine.renderPrompt(ChatRequest.builder().user("Describe a pet").build());
            double total = 0;
            int runs = 0;
            long trieStart = System.nanoTime();
            int vocabulary = engine.vocabularySize() > 0 ? engine.trie(engine.vocabularySize()).usableTokens() : -1;
            long trieMillis = (System.nanoTime() - trieStart) / 1_000_000;
            for (long seed = 0; seed < generations; seed++) {
                long s = seed;
                OnnxGeneration generation = engine.generate(prompt, GenerationOptions.of(o -> o.temperature(1.0)
                        .seed(s).maxTokens(Integer.getInteger("locallm.onnx.overhead.tokens", 200))), engine.mask(g));
                int tokens = 0;
                while (!(generation.next() instanceof GenerationEvent.Finished)) {
                    tokens++;
                }
                if (seed >= warmUps) {
                    total += generation.maskMicrosPerToken();
                    runs++;
                }
                LOG.debug("seed {}: {} tokens, mask {} µs/token", seed, tokens,
                        String.format("%.1f", generation.maskMicrosPerToken()));
                generation.close();
            }
            LOG.info("Mask cost, {}, {} tokens usable under a grammar (trie built in {} ms), record schema: mean {} µs/token over {} runs "
                    + "after {} warm-ups", folder == null ? "stories260K-onnx" : folder, vocabulary, trieMillis,
                    String.format("%.1f", total / runs), runs, warmUps);
            assertThat(runs).isEqualTo(generations - warmUps);
        }
    }
}
