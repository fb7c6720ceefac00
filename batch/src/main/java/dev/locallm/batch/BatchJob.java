package dev.locallm.batch;

import dev.locallm.ChatModel;
import dev.locallm.EmbeddingModel;
import dev.locallm.openai.RequestLimits;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Runs a file of requests in the OpenAI Batch API's format through local models, and writes the results in the same
 * format, so that files move unchanged between LocaLLM and hosted batch services.
 *
 * <p>Each input line is {@code {"custom_id", "method": "POST", "url", "body"}} with {@code url} one of
 * {@code /v1/chat/completions}, {@code /v1/completions} and {@code /v1/embeddings}, and {@code body} the request
 * as the HTTP API takes it. Each output line is {@code {"id", "custom_id", "response": {"status_code",
 * "request_id", "body"}, "error"}}: the body is what the OpenAI-compatible server would have answered, a
 * response or an error body. A line that is not a request (not JSON, no {@code custom_id}, an unknown {@code url})
 * gets a line with {@code "response": null} and {@code "error": {"code", "message", "line"}}.
 *
 * <p><b>Nothing lost, nothing twice.</b> Results are appended and flushed line by line as they come (in the order
 * requests finish). Running the same job again after a crash, a {@code kill -9}, {@link #cancel()} or a stop
 * because the model stopped answering skips every {@code custom_id} already in the output (a torn last line is cut
 * off and its request sent again) and answers the rest. Each {@code custom_id} gets one line; a later input line
 * with the same id is reported, not sent. The output is locked while a job writes it.
 *
 * <pre>{@code
 * try (ChatModel model = LocalLm.chatModel("gguf:/models/qwen2.5-0.5b-instruct-q4_k_m.gguf?parallel=4")) {
 *     BatchSummary summary = BatchJob.builder()
 *             .chatModel(model)
 *             .input(Path.of("requests.jsonl"))
 *             .output(Path.of("results.jsonl"))
 *             .build()
 *             .run();
 * }
 * }</pre>
 *
 * <p>Thread safety: {@link #run()} runs once, on the caller's thread plus {@code concurrency} worker threads;
 * {@link #cancel()} may be called from any thread. The job does not close the models it was given.
 */
public interface BatchJob {

    /**
     * Runs the job to its end: every request answered, or the job cancelled.
     *
     * @return the counts of this run
     * @throws BatchException when the input cannot be read; the output cannot be read back or written, is not a
     *     results file, or is being written by another job; or the model stopped answering (unavailable, closed,
     *     still busy after retries): results written until then stay, and running the job again completes it
     * @throws IllegalStateException when the job has run already
     */
    BatchSummary run();

    /**
     * Stops the job: no new request is sent, running generations are cancelled and write no result (a later run
     * sends them again; a request that completes meanwhile, such as an embedding call, still writes its own), and
     * {@link #run()} returns with {@link BatchSummary#cancelled()} set once the requests in flight have ended. Safe
     * to call from any thread, at any time, more than once.
     */
    void cancel();

    /** A builder; {@link Builder#input}, {@link Builder#output} and at least one model are required. */
    static Builder builder() {
        return new Builder();
    }

    /** Builds a {@link BatchJob}. Not thread-safe. */
    final class Builder {
        ChatModel chatModel;
        EmbeddingModel embeddingModel;
        Path input;
        Path output;
        int concurrency;
        BatchListener listener = new BatchListener() { };
        RequestLimits limits = RequestLimits.NONE;

        private Builder() {
        }

        /** The model that answers {@code /v1/chat/completions} and {@code /v1/completions} lines. */
        public Builder chatModel(ChatModel model) {
            this.chatModel = Objects.requireNonNull(model, "model");
            return this;
        }

        /** The model that answers {@code /v1/embeddings} lines. */
        public Builder embeddingModel(EmbeddingModel model) {
            this.embeddingModel = Objects.requireNonNull(model, "model");
            return this;
        }

        /** The requests: a JSONL file, UTF-8. */
        public Builder input(Path file) {
            this.input = Objects.requireNonNull(file, "file");
            return this;
        }

        /** The results: a JSONL file, created or appended to. */
        public Builder output(Path file) {
            this.output = Objects.requireNonNull(file, "file");
            return this;
        }

        /**
         * The requests in flight at once; by default the chat model's {@code parallelRequests()} (its slots), 1 for
         * embeddings alone. More than the model's slots only queues requests inside the model.
         */
        public Builder concurrency(int requests) {
            if (requests < 1) {
                throw new IllegalArgumentException("concurrency must be at least 1, was " + requests);
            }
            this.concurrency = requests;
            return this;
        }

        /** Told about each result; none by default. */
        public Builder listener(BatchListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /** Limits on each request (messages, tools, max tokens), as the server applies them; none by default. */
        public Builder limits(RequestLimits limits) {
            this.limits = Objects.requireNonNull(limits, "limits");
            return this;
        }

        /**
         * The job, not yet running.
         *
         * @throws IllegalStateException when the input, the output or both models are missing, or input and output
         *     are the same file
         */
        public BatchJob build() {
            if (input == null || output == null) {
                throw new IllegalStateException("a batch job needs an input and an output file");
            }
            if (chatModel == null && embeddingModel == null) {
                throw new IllegalStateException("a batch job needs a chat model, an embedding model or both");
            }
            if (sameFile(input, output)) {
                throw new IllegalStateException("the output must not be the input file: " + input);
            }
            return new BatchRunner(this);
        }

        private static boolean sameFile(Path a, Path b) {
            try {
                if (Files.exists(a) && Files.exists(b)) {
                    return Files.isSameFile(a, b);
                }
            } catch (IOException e) {
                return false;
            }
            return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
        }
    }
}
