package dev.locallm.cli;

import dev.locallm.ChatModel;
import dev.locallm.EmbeddingModel;
import dev.locallm.LocalLm;
import dev.locallm.batch.BatchJob;
import dev.locallm.batch.BatchProgress;
import dev.locallm.batch.BatchSummary;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * {@code locallm batch}: runs a JSONL file of requests in the OpenAI Batch API's format and appends the results to
 * another, with a progress bar; run again after a crash or Ctrl-C, it completes what is missing. Exits 0 when every
 * request has its result line (an error line counts: see the summary), 1 when stopped before.
 */
@Command(name = "batch", description = "Run a JSONL file of OpenAI Batch API requests; append the results to another "
        + "(run it again to resume).")
final class BatchCommand implements Callable<Integer> {

    @Mixin
    ModelOptions model;

    @Option(names = {"-i", "--input"}, required = true, paramLabel = "FILE",
            description = "Requests, one JSON object a line: custom_id, method, url, body.")
    Path input;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE",
            description = "Results, appended; requests already answered in it are skipped.")
    Path output;

    @Option(names = "--parallel", paramLabel = "N", defaultValue = "4",
            description = "Requests generated at the same time (llama.cpp slots). Default: ${DEFAULT-VALUE}.")
    int parallel;

    @Option(names = "--concurrency", paramLabel = "N",
            description = "Requests in flight at once. Default: the model's slots (--parallel, or the parallel "
                    + "parameter of a remote model).")
    Integer concurrency;

    @Option(names = "--embedding-model", paramLabel = "PATH|URI",
            description = "The model for /v1/embeddings lines. Default: the --model, when the input has any.")
    String embeddingModel;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        model.verbose.apply();
        if (parallel < 1 || (concurrency != null && concurrency < 1)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--parallel and --concurrency must be >= 1");
        }
        if (!Files.isReadable(input)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "Cannot read the input file " + input);
        }
        boolean chats = inputMentions("/v1/chat/completions") || inputMentions("/v1/completions");
        boolean embeds = embeddingModel != null || inputMentions("/v1/embeddings");
        PrintWriter err = spec.commandLine().getErr();
        ChatModel chat = null;
        EmbeddingModel embeddings = null;
        try {
            if (chats || !embeds) {
                chat = model.builder(options -> options.parallel(parallel)).buildChatModel();
            }
            if (embeds) {
                embeddings = embeddingModel != null ? LocalLm.embeddingModel(embeddingModel)
                        : model.builder().buildEmbeddingModel();
            }
            BatchSummary summary = run(chat, embeddings);
            BatchProgress p = summary.progress();
            PrintWriter out = spec.commandLine().getOut();
            out.printf(Locale.ROOT, "%s: %d answered, %d failed, %d skipped (answered before), %d duplicate ids; "
                    + "%d prompt and %d generated tokens in %.1f s (%.1f tokens/s)%s -> %s%n",
                    summary.cancelled() ? "Stopped" : "Done", p.succeeded(), p.failed(), p.skipped(), p.duplicates(),
                    p.promptTokens(), p.completionTokens(), p.elapsed().toMillis() / 1000.0, p.tokensPerSecond(),
                    summary.cancelled() ? "; " + p.remaining() + " left, run again to complete" : "", output);
            out.flush();
            if (!summary.duplicateIds().isEmpty()) {
                err.println("Duplicate custom_id in the input (answered once): " + summary.duplicateIds());
            }
            return summary.complete() ? 0 : 1;
        } finally {
            if (chat != null) {
                chat.close();
            }
            if (embeddings != null) {
                embeddings.close();
            }
        }
    }

    /** Runs the job; Ctrl-C or SIGTERM cancel it and wait until its results are written. */
    private BatchSummary run(ChatModel chat, EmbeddingModel embeddings) {
        BatchJob.Builder builder = BatchJob.builder().input(input).output(output);
        if (chat != null) {
            builder.chatModel(chat);
        }
        if (embeddings != null) {
            builder.embeddingModel(embeddings);
        }
        if (concurrency != null) {
            builder.concurrency(concurrency);
        }
        CountDownLatch finished = new CountDownLatch(1);
        try (BatchProgressBar bar = new BatchProgressBar()) {
            BatchJob job = builder.listener(bar).build();
            Thread hook = new Thread(() -> {
                job.cancel();
                try {
                    finished.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "locallm-batch-stop");
            Runtime.getRuntime().addShutdownHook(hook);
            try {
                return job.run();
            } finally {
                finished.countDown();
            }
        }
    }

    /** Whether a line of the input mentions this endpoint: which models to open. */
    private boolean inputMentions(String endpoint) {
        try (var lines = Files.lines(input, StandardCharsets.UTF_8)) {
            return lines.anyMatch(line -> line.contains(endpoint));
        } catch (IOException | UncheckedIOException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "Cannot read the input file " + input + ": "
                    + e.getMessage());
        }
    }
}
