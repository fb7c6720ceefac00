package dev.locallm.agent;

import dev.locallm.ChatModel;
import dev.locallm.chat.ChatMessage;
import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.ChatResponse;
import dev.locallm.chat.FinishReason;
import dev.locallm.error.InvalidRequestException;
import dev.locallm.tool.ToolCall;
import dev.locallm.tool.ToolChoice;
import dev.locallm.tool.ToolSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Runs a conversation with tools to its end: asks, executes the calls the model makes (on {@link dev.locallm.tool.Tool}-annotated
 * methods), sends the results back, and repeats until the model answers in text or {@code maxRounds} rounds of
 * calls have run; then it asks once more with {@link ToolChoice#NONE} for a text answer. A tool that throws is
 * reported to the model as an error result. Immutable and thread-safe if the tool objects are.
 *
 * <pre>{@code
 * ToolLoop.Result result = ToolLoop.builder(model).tools(new WeatherTools(), new Clock()).build()
 *         .run("What is the weather in Paris, and what time is it there?");
 * System.out.println(result.answer().text());
 * }</pre>
 */
public final class ToolLoop {

    /**
     * How a loop ended.
     *
     * @param answer       the final response (text, unless the model was cut short)
     * @param conversation every message: the request's, the assistant turns, the tool results
     * @param rounds       how many rounds of tool calls ran
     */
    public record Result(ChatResponse answer, List<ChatMessage> conversation, int rounds) {
        /** Checks the parts; the conversation is copied. */
        public Result {
            conversation = List.copyOf(conversation);
        }
    }

    private final ChatModel model;
    private final Map<String, ToolMethods> tools;
    private final List<ToolSpec> specs;
    private final int maxRounds;
    private final ToolChoice firstChoice;

    private ToolLoop(Builder b) {
        this.model = b.model;
        this.maxRounds = b.maxRounds;
        this.firstChoice = b.firstChoice;
        Map<String, ToolMethods> byName = new LinkedHashMap<>();
        List<ToolSpec> all = new ArrayList<>();
        for (Object target : b.targets) {
            ToolMethods methods = ToolMethods.of(target);
            for (ToolSpec spec : methods.specs()) {
                if (byName.putIfAbsent(spec.name(), methods) != null) {
                    throw new dev.locallm.error.InvalidRequestException("two tool objects define '" + spec.name() + "'",
                            "tools");
                }
                all.add(spec);
            }
        }
        this.tools = byName;
        this.specs = List.copyOf(all);
    }

    /** A builder of a loop over this model. */
    public static Builder builder(ChatModel model) {
        return new Builder(model);
    }

    /** Asks one question. */
    public Result run(String question) {
        return run(ChatRequest.of(question));
    }

    /**
     * Runs the loop from {@code request}, whose messages, options and response format are kept; its tools are
     * replaced by the loop's.
     */
    public Result run(ChatRequest request) {
        List<ChatMessage> conversation = new ArrayList<>(request.messages());
        for (int round = 0; ; round++) {
            ToolChoice choice = round >= maxRounds ? ToolChoice.NONE : round == 0 ? firstChoice : ToolChoice.AUTO;
            ChatResponse response = model.chat(request.toBuilder().messages(conversation).tools(specs)
                    .toolChoice(choice).build());
            conversation.add(response.message());
            if (response.finishReason() != FinishReason.TOOL_CALLS) {
                return new Result(response, conversation, round);
            }
            for (ToolCall call : response.toolCalls()) {
                conversation.add(tools.get(call.name()).execute(call));
            }
        }
    }

    /** Configures a loop; not thread-safe. */
    public static final class Builder {
        private final ChatModel model;
        private final List<Object> targets = new ArrayList<>();
        private int maxRounds = 5;
        private ToolChoice firstChoice = ToolChoice.AUTO;

        private Builder(ChatModel model) {
            this.model = Objects.requireNonNull(model, "model");
        }

        /** Objects whose {@link dev.locallm.tool.Tool} methods the model may call. */
        public Builder tools(Object... targets) {
            this.targets.addAll(List.of(targets));
            return this;
        }

        /** Most rounds of tool calls before a text answer is asked for; default 5. */
        public Builder maxRounds(int maxRounds) {
            if (maxRounds < 1) {
                throw new IllegalArgumentException("maxRounds must be >= 1");
            }
            this.maxRounds = maxRounds;
            return this;
        }

        /** The tool choice of the first round, {@link ToolChoice#AUTO} by default; later rounds use auto. */
        public Builder firstChoice(ToolChoice firstChoice) {
            this.firstChoice = Objects.requireNonNull(firstChoice, "firstChoice");
            return this;
        }

        /** The loop. */
        public ToolLoop build() {
            return new ToolLoop(this);
        }
    }
}
