package dev.locallm.cli;

import dev.locallm.remote.RemoteCapabilities;
import dev.locallm.remote.RemoteModels;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code locallm probe}: tries each feature of a remote OpenAI-compatible server with tiny requests and prints
 * what really works, as JSON.
 */
@Command(name = "probe", description = "Show what a remote OpenAI-compatible server really supports (JSON).")
final class ProbeCommand implements Callable<Integer> {

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "URI",
            description = "A remote model, such as openai:http://127.0.0.1:11434/v1?model=qwen2.5:0.5b.")
    String model;

    @CommandLine.Mixin
    VerboseOption verbose;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        verbose.apply();
        RemoteCapabilities c = RemoteModels.probe(model);
        ObjectNode out = JsonMapper.shared().createObjectNode().put("server", c.baseUrl()).put("model", c.model())
                .put("dialect", c.dialect().uriName()).put("streaming", c.streaming())
                .put("usage_in_stream", c.usageInStream()).put("tool_calls", c.toolCalls())
                .put("streamed_tool_deltas", c.streamedToolDeltas()).put("tool_choice_required", c.toolChoiceRequired())
                .put("json_schema_enforced", c.jsonSchemaEnforced()).put("embeddings", c.embeddings());
        ArrayNode notes = out.putArray("notes");
        c.notes().forEach(notes::add);
        spec.commandLine().getOut()
                .println(JsonMapper.shared().writerWithDefaultPrettyPrinter().writeValueAsString(out));
        return 0;
    }
}
