package dev.locallm.batch;

import java.nio.file.Path;
import java.util.List;

/**
 * What a {@link BatchJob#run()} did. Immutable.
 *
 * @param progress the final counts
 * @param duplicateIds the {@code custom_id}s used by more than one line of the input (each answered once)
 * @param cancelled whether the run was cancelled before every request was answered; running the job again
 *     completes it
 * @param output the results file
 */
public record BatchSummary(BatchProgress progress, List<String> duplicateIds, boolean cancelled, Path output) {

    /** The summary, with an unmodifiable copy of the duplicate ids. */
    public BatchSummary {
        duplicateIds = List.copyOf(duplicateIds);
    }

    /**
     * Whether every request of the input has its result line in the output, as a success or as an error (the
     * OpenAI Batch API calls such a batch completed, too).
     */
    public boolean complete() {
        return !cancelled && progress.remaining() == 0;
    }
}
