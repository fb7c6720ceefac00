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
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * {@code locallm batch}: runs a JSONL file of requests in the OpenAI Batch API's format and appends the results to
 * another, with a progress bar; run again after a crash or Ctrl-C, it completes what is missing. Exits 0 when every
 * request has its result line (an error line counts: see the summary), 1 when it stopped before (the model stopped
 * answering: one line says why), and as a stopped JVM does on Ctrl-C or SIGTERM (130, 143), after cancelling the
 * generations in flight, printing the summary and closing the model.
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
            description = "Requests generated at the same time (llama.cpp slots, ONNX Runtime runs). "
                    + "Default: ${DEFAULT-VALUE}.")
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
    public Integer call() {
        model.verbose.apply();
        if (parallel < 1 || (concurrency != null && concurrency < 1)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--parallel and --concurrency must be >= 1");
        }
        if (!Files.isReadable(input)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "Cannot read the input file " + input);
        }
        boolean chats = inputMentions("/v1/chat/completions") || inputMentions("/v1/completions");
        boolean embeds = embeddingModel != null || inputMentions("/v1/embeddings");
        AtomicReference<BatchJob> job = new AtomicReference<>();
        CountDownLatch finished = new CountDownLatch(1);
        Thread stop = new Thread(() -> {
            BatchJob running = job.get();
            if (running != null) {
                running.cancel();
            }
            try {
                finished.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "locallm-batch-stop");
        Runtime.getRuntime().addShutdownHook(stop);
        ChatModel chat = null;
        EmbeddingModel embeddings = null;
        try (BatchProgressBar bar = new BatchProgressBar()) {
            if (chats || !embeds) {
                chat = model.builder(parallel).buildChatModel();
            }
            if (embeds) {
                embeddings = embeddingModel != null ? LocalLm.embeddingModel(embeddingModel)
                        : model.builder().buildEmbeddingModel();
            }
            job.set(job(chat, embeddings, bar));
            BatchSummary summary = job.get().run();
            bar.close();
            print(summary);
            return summary.complete() ? 0 : 1;
        } finally {
            if (chat != null) {
                chat.close();
            }
            if (embeddings != null) {
                embeddings.close();
            }
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(stop);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running: it waited for this
            }
        }
    }

    private BatchJob job(ChatModel chat, EmbeddingModel embeddings, BatchProgressBar bar) {
        BatchJob.Builder builder = BatchJob.builder().input(input).output(output).listener(bar);
        if (chat != null) {
            builder.chatModel(chat);
        }
        if (embeddings != null) {
            builder.embeddingModel(embeddings);
        }
        if (concurrency != null) {
            builder.concurrency(concurrency);
        }
        return builder.build();
    }

    private void print(BatchSummary summary) {
        BatchProgress p = summary.progress();
        PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "%s: %d answered, %d failed, %d skipped (answered before), %d duplicate ids; "
                + "%d prompt and %d generated tokens in %.1f s (%.1f tokens/s)%s -> %s%n",
                summary.cancelled() ? "Stopped" : "Done", p.succeeded(), p.failed(), p.skipped(), p.duplicates(),
                p.promptTokens(), p.completionTokens(), p.elapsed().toMillis() / 1000.0, p.tokensPerSecond(),
                summary.cancelled() ? "; up to " + p.remaining() + " left, run again to complete" : "", output);
        out.flush();
        if (!summary.duplicateIds().isEmpty()) {
            PrintWriter err = spec.commandLine().getErr();
            err.println("Duplicate custom_id in the input (answered once): " + summary.duplicateIds());
            err.flush();
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
