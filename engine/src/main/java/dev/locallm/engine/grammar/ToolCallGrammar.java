package dev.locallm.engine.grammar;

import static dev.locallm.engine.grammar.GrammarExpr.literal;
import static dev.locallm.engine.grammar.GrammarExpr.seq;

import dev.locallm.engine.toolcall.ToolCallFormat;
import dev.locallm.schema.SchemaAssertion;
import dev.locallm.tool.ToolSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;

/**
 * A grammar whose sentences are tool calls, in a model family's {@link ToolCallFormat}, to the given tools,
 * with arguments that validate against each tool's schema: how {@code tool_choice} "required" or a named tool
 * is enforced. Stateless; thread-safe.
 */
public final class ToolCallGrammar {
    private ToolCallGrammar() {
    }

    /**
     * Between 1 and {@code maxCalls} calls (formats that allow one call per turn get one).
     *
     * @throws dev.locallm.error.UnsupportedSchemaException when a tool's parameter schema cannot be enforced
     */
    public static Grammar compile(List<ToolSpec> tools, ToolCallFormat format, int maxCalls) {
        return compile(tools, format, maxCalls, false);
    }

    /**
     * As {@link #compile(List, ToolCallFormat, int)}, with the arguments' JSON in any layout when
     * {@code anyLayout}: to close calls that were written without the grammar.
     */
    public static Grammar compile(List<ToolSpec> tools, ToolCallFormat format, int maxCalls, boolean anyLayout) {
        try {
            return build(tools, format, maxCalls, anyLayout);
        } catch (GrammarBuilder.TooLargeException e) {
            throw JsonSchemaGrammar.tooLarge(JsonSchemaGrammar.MAX_RULES);
        }
    }

    private static Grammar build(List<ToolSpec> tools, ToolCallFormat format, int maxCalls, boolean anyLayout) {
        GrammarBuilder b = new GrammarBuilder(JsonSchemaGrammar.MAX_RULES);
        Map<String, Integer> common = new HashMap<>();
        List<GrammarExpr> options = new ArrayList<>();
        List<SchemaAssertion> unenforced = new ArrayList<>();
        GrammarExpr ws = null;
        for (ToolSpec tool : tools) {
            JsonSchemaGrammar args = new JsonSchemaGrammar(b, common, tool.parameters(),
                    new JsonSchemaGrammar.Mode(tool.name(), false, anyLayout));
            ws = args.trailer();
            String prefix = "{\"name\": " + JsonMapper.shared().writeValueAsString(tool.name()) + ", \""
                    + format.argumentsKey() + "\": ";
            options.add(seq(literal(prefix), args.document(), literal("}")));
            unenforced.addAll(args.unenforced());
        }
        int call = b.declare("call");
        b.define(call, new GrammarExpr.Alt(options));
        GrammarExpr one = new GrammarExpr.Ref(call);
        GrammarExpr body = switch (format) {
            case HERMES -> {
                GrammarExpr block = seq(literal("<tool_call>\n"), one, literal("\n</tool_call>"));
                yield seq(block, new GrammarExpr.Repeat(seq(literal("\n"), block), 0, maxCalls - 1));
            }
            case MISTRAL -> seq(literal("[TOOL_CALLS]["), one,
                    new GrammarExpr.Repeat(seq(literal(", "), one), 0, maxCalls - 1), literal("]"));
            case LLAMA3, JSON -> one;
        };
        int root = b.declare("root");
        b.define(root, seq(body, ws));
        return JsonSchemaGrammar.build(b, root).leaving(unenforced);
    }
}
