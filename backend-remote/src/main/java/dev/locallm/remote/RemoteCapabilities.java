package dev.locallm.remote;

import java.util.List;

/**
 * What a remote server really did when {@link RemoteModels#probe} tried each feature with a tiny request.
 * Immutable.
 *
 * @param baseUrl            the server
 * @param model              the model probed
 * @param dialect            the dialect in use (detected or given)
 * @param streaming          a streamed reply arrived in several text deltas
 * @param usageInStream      the stream reported token usage (otherwise LocaLLM counts deltas and estimates)
 * @param toolCalls          a forced tool call came back as structured {@code tool_calls} (not text)
 * @param streamedToolDeltas the call's arguments arrived in several pieces
 * @param toolChoiceRequired the server called a tool under {@code tool_choice: "required"} although the prompt
 *                           asked it not to (it enforces the choice)
 * @param jsonSchemaEnforced the reply matched an arbitrary JSON schema the prompt gave no hint of
 * @param embeddings         {@code /v1/embeddings} answered for this model
 * @param notes              what failed, and how, for the features that did not work
 */
public record RemoteCapabilities(String baseUrl, String model, Dialect dialect, boolean streaming,
        boolean usageInStream, boolean toolCalls, boolean streamedToolDeltas, boolean toolChoiceRequired,
        boolean jsonSchemaEnforced, boolean embeddings, List<String> notes) {

    /** Copies the notes. */
    public RemoteCapabilities {
        notes = List.copyOf(notes);
    }
}
