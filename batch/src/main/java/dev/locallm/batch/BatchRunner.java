package dev.locallm.batch;

import dev.locallm.ChatModel;
import dev.locallm.EmbeddingModel;
import dev.locallm.chat.ChatResponse;
import dev.locallm.error.GenerationCancelledException;
import dev.locallm.error.InvalidRequestException;
import dev.locallm.error.ModelBusyException;
import dev.locallm.error.ModelUnavailableException;
import dev.locallm.error.StreamInterruptedException;
import dev.locallm.openai.ChatCompletionRequest;
import dev.locallm.openai.ChatCompletionRequests;
import dev.locallm.openai.ChatCompletions;
import dev.locallm.openai.CompletionRequest;
import dev.locallm.openai.Completions;
import dev.locallm.openai.EmbeddingRequest;
import dev.locallm.openai.Embeddings;
import dev.locallm.openai.ErrorBodies;
import dev.locallm.openai.HttpError;
import dev.locallm.openai.RequestLimits;
import dev.locallm.stream.ChatStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The {@link BatchJob}: the caller's thread reads the input line by line and hands each request to one of
 * {@code concurrency} workers (it waits while all are busy, so memory holds only the requests in flight and the
 * set of ids seen); workers answer it as the OpenAI-compatible server would and append the result. A request that
 * a model dropped ({@link ModelBusyException}) or whose stream broke off ({@link StreamInterruptedException}, a
 * server that died) is sent again after a pause, up to {@value #ATTEMPTS} times in all. The first failure that is
 * not a request's own (the results file cannot be written, the model is unavailable) cancels the job, and
 * {@link #run()} throws it once every request in flight has ended.
 */
final class BatchRunner implements BatchJob {
    private static final Logger LOG = LoggerFactory.getLogger(BatchRunner.class);
    private static final int ATTEMPTS = 3;
    private static final long RETRY_PAUSE_MS = 250;

    private final ChatModel chatModel;
    private final EmbeddingModel embeddingModel;
    private final Path input;
    private final Path output;
    private final int concurrency;
    private final BatchListener listener;
    private final RequestLimits limits;

    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean cancelled = new AtomicBoolean();
    private final AtomicReference<RuntimeException> fatal = new AtomicReference<>();
    private final Set<ChatStream> running = ConcurrentHashMap.newKeySet();
    private final AtomicLong succeeded = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong promptTokens = new AtomicLong();
    private final AtomicLong completionTokens = new AtomicLong();
    private volatile long total;
    private final AtomicLong skipped = new AtomicLong();
    private final List<String> duplicateIds = new ArrayList<>();
    private long startNanos;

    BatchRunner(BatchJob.Builder b) {
        this.chatModel = b.chatModel;
        this.embeddingModel = b.embeddingModel;
        this.input = b.input;
        this.output = b.output;
        this.concurrency = b.concurrency > 0 ? b.concurrency
                : chatModel != null ? Math.max(1, chatModel.capabilities().parallelRequests()) : 1;
        this.listener = b.listener;
        this.limits = b.limits;
    }

    @Override
    public BatchSummary run() {
        if (!started.compareAndSet(false, true)) {
            throw new IllegalStateException("A batch job runs once; build another to run it again");
        }
        startNanos = System.nanoTime();
        total = countRequests();
        AtomicInteger threads = new AtomicInteger();
        ExecutorService workers = Executors.newFixedThreadPool(concurrency, task -> {
            Thread t = new Thread(task, "locallm-batch-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        try (ResultsFile results = ResultsFile.open(output)) {
            try {
                readAndDispatch(results, workers);
            } catch (IOException | UncheckedIOException e) {
                fail(new BatchException("Cannot read the batch input " + input + ": " + e.getMessage(), e));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                cancel();
            } catch (RuntimeException e) {
                fail(e);
            } finally {
                awaitWorkers(workers);
            }
        }
        if (fatal.get() != null) {
            throw fatal.get();
        }
        BatchProgress progress = progress();
        BatchSummary summary = new BatchSummary(progress, duplicateIds, cancelled.get() && progress.remaining() > 0,
                output);
        LOG.info("Batch {}: {} answered, {} failed, {} skipped (answered before), {} duplicates, {} left", input,
                progress.succeeded(), progress.failed(), progress.skipped(), progress.duplicates(),
                progress.remaining());
        return summary;
    }

    /**
     * Reads the input line by line on the caller's thread and hands each request to a worker, waiting while all
     * are busy; lines that are not requests get their error line here.
     */
    private void readAndDispatch(ResultsFile results, ExecutorService workers) throws IOException,
            InterruptedException {
        Semaphore free = new Semaphore(concurrency);
        try (BufferedReader reader = Files.newBufferedReader(input, StandardCharsets.UTF_8)) {
            LOG.info("Batch {} -> {}: {} requests, {} answered before, {} at once", input, output, total,
                    results.answeredCount(), concurrency);
            Set<String> seen = new HashSet<>();
            long number = 0;
            boolean announced = false;
            for (String text; !cancelled.get() && (text = reader.readLine()) != null;) {
                number++;
                if (text.isBlank()) {
                    continue;
                }
                BatchLine line = BatchLine.read(number, text);
                String id = line.customId();
                if (id != null && !seen.add(id)) {
                    duplicate(id, number);
                    continue;
                }
                if (id != null ? results.answered(id) : results.reported(number)) {
                    skipped.incrementAndGet();
                    continue;
                }
                if (!announced) {
                    announced = true;
                    notify(() -> listener.started(progress()));
                }
                if (line.problem() != null) {
                    record(results, errorLine(line), false, 0, 0);
                    continue;
                }
                free.acquire();
                if (cancelled.get()) {
                    free.release();
                    break;
                }
                workers.execute(() -> {
                    try {
                        answer(line, results);
                    } catch (Throwable t) {
                        fail(t instanceof RuntimeException r ? r
                                : new BatchException("Request '" + line.customId() + "' failed: " + t, t));
                    } finally {
                        free.release();
                    }
                });
            }
            if (!announced) {
                notify(() -> listener.started(progress()));
            }
        }
    }

    /** Waits until every request in flight has ended; an interrupt cancels them, and the wait goes on. */
    private void awaitWorkers(ExecutorService workers) {
        workers.shutdown();
        boolean interrupted = false;
        while (true) {
            try {
                if (workers.awaitTermination(1, TimeUnit.SECONDS)) {
                    break;
                }
            } catch (InterruptedException e) {
                interrupted = true;
                cancel();
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Ends the job with this failure (the first one wins): nothing more is sent, and {@link #run()} throws it. */
    private void fail(RuntimeException e) {
        fatal.compareAndSet(null, e);
        cancel();
    }

    @Override
    public void cancel() {
        if (cancelled.compareAndSet(false, true)) {
            running.forEach(ChatStream::close);
        }
    }

    private long countRequests() {
        try (var lines = Files.lines(input, StandardCharsets.UTF_8)) {
            return lines.filter(l -> !l.isBlank()).count();
        } catch (IOException | UncheckedIOException e) {
            throw new BatchException("Cannot read the batch input " + input + ": " + e.getMessage(), e);
        }
    }

    private void duplicate(String id, long number) {
        LOG.warn("Line {} of {} repeats custom_id '{}'; it is not sent (each custom_id gets one result)", number,
                input, id);
        synchronized (duplicateIds) {
            duplicateIds.add(id);
        }
        notify(() -> listener.duplicate(id, number));
    }

    /**
     * Answers one request, sending it again when the model dropped it, and appends its result line. A failure of
     * the model rather than the request (unavailable, closed, still busy or breaking off after {@value #ATTEMPTS}
     * attempts) writes nothing and stops the job: running it again sends the request again.
     */
    private void answer(BatchLine line, ResultsFile results) throws InterruptedException {
        for (int attempt = 1; ; attempt++) {
            Answer answer;
            try {
                answer = execute(line);
            } catch (RuntimeException e) {
                if (cancelled.get()) {
                    return;
                }
                boolean dropped = e instanceof ModelBusyException || e instanceof StreamInterruptedException;
                if (dropped && attempt < ATTEMPTS) {
                    LOG.debug("Sending '{}' again ({}): {}", line.customId(), attempt, e.getMessage());
                    Thread.sleep(RETRY_PAUSE_MS * attempt);
                    continue;
                }
                if (dropped || modelUnavailable(e)) {
                    fail(new BatchException("The batch stopped at request '" + line.customId() + "' (line "
                            + line.number() + "): " + e.getMessage() + ". The results so far are in " + output
                            + "; run the job again to complete it", e));
                    return;
                }
                HttpError error = HttpError.of(e);
                if (error.status() >= 500) {
                    LOG.warn("Request '{}' (line {}) failed: {}", line.customId(), line.number(), e.toString());
                }
                record(results, resultLine(line.customId(), error.status(), ErrorBodies.write(error.body())), false,
                        0, 0);
                return;
            }
            record(results, resultLine(line.customId(), 200, answer.body), true, answer.promptTokens,
                    answer.completionTokens);
            return;
        }
    }

    /** Whether a failure is the model's, not the request's: it cannot answer now, or was closed. */
    private static boolean modelUnavailable(RuntimeException e) {
        return e instanceof ModelUnavailableException || e instanceof GenerationCancelledException
                || e instanceof IllegalStateException;
    }

    private record Answer(ObjectNode body, long promptTokens, long completionTokens) {
    }

    private Answer execute(BatchLine line) {
        long created = System.currentTimeMillis() / 1000;
        switch (line.url()) {
            case BatchLine.CHAT -> {
                ChatCompletionRequest chat = ChatCompletionRequests.read(line.body(), limits);
                ChatResponse r = generate(() -> requireChat().chatStream(chat.request()));
                return new Answer(ChatCompletions.write(ChatCompletions.newId("chatcmpl-"), created, chat.model(), r),
                        r.usage().promptTokens(), r.usage().completionTokens());
            }
            case BatchLine.COMPLETIONS -> {
                CompletionRequest c = Completions.readRequest(line.body(), limits);
                ChatResponse r = generate(() -> requireChat().completeStream(c.prompt(), c.options()));
                return new Answer(Completions.write(ChatCompletions.newId("cmpl-"), created, c.model(),
                        (c.echo() ? c.prompt() : "") + r.text(), ChatCompletions.finishReason(r.finishReason()),
                        r.usage(), true), r.usage().promptTokens(), r.usage().completionTokens());
            }
            default -> {
                EmbeddingRequest e = Embeddings.readRequest(line.body());
                if (embeddingModel == null) {
                    throw noModel("embeddings", "an embedding model");
                }
                ObjectNode body = Embeddings.answer(e, embeddingModel);
                return new Answer(body, body.path("usage").path("prompt_tokens").asLong(), 0);
            }
        }
    }

    private ChatModel requireChat() {
        if (chatModel == null) {
            throw noModel("chat and text completions", "a chat model");
        }
        return chatModel;
    }

    private ChatResponse generate(Supplier<ChatStream> start) {
        ChatStream stream = start.get();
        running.add(stream);
        try {
            if (cancelled.get()) {
                throw new GenerationCancelledException("The batch job was cancelled", "");
            }
            return stream.response();
        } finally {
            running.remove(stream);
            stream.close();
        }
    }

    /** Appends a result line and tells the listener, in the order lines are written. */
    private void record(ResultsFile results, ObjectNode result, boolean success, long prompt, long completion) {
        synchronized (results) {
            results.append(result);
            (success ? succeeded : failed).incrementAndGet();
            promptTokens.addAndGet(prompt);
            completionTokens.addAndGet(completion);
            BatchProgress progress = progress();
            notify(() -> listener.progressed(progress));
        }
    }

    private static ObjectNode resultLine(String customId, int status, ObjectNode body) {
        ObjectNode result = JsonMapper.shared().createObjectNode();
        result.put("id", ChatCompletions.newId("batch_req_"));
        result.put("custom_id", customId);
        ObjectNode response = result.putObject("response");
        response.put("status_code", status);
        response.put("request_id", ChatCompletions.newId("req_"));
        response.set("body", body);
        result.putNull("error");
        return result;
    }

    private static ObjectNode errorLine(BatchLine line) {
        ObjectNode result = JsonMapper.shared().createObjectNode();
        result.put("id", ChatCompletions.newId("batch_req_"));
        if (line.customId() != null) {
            result.put("custom_id", line.customId());
        } else {
            result.putNull("custom_id");
        }
        result.putNull("response");
        ObjectNode error = result.putObject("error");
        error.put("code", "invalid_request");
        error.put("message", "Line " + line.number() + ": " + line.problem());
        error.put("line", line.number());
        return result;
    }

    private BatchProgress progress() {
        int duplicates;
        synchronized (duplicateIds) {
            duplicates = duplicateIds.size();
        }
        return new BatchProgress(total, skipped.get(), succeeded.get(), failed.get(), duplicates, promptTokens.get(),
                completionTokens.get(), Duration.ofNanos(System.nanoTime() - startNanos));
    }

    private static void notify(Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            LOG.warn("A batch listener failed", e);
        }
    }

    /** A request this job has no model for: refused as the server refuses a model it does not serve. */
    private static InvalidRequestException noModel(String what, String needed) {
        return new InvalidRequestException("This batch job has no model for " + what + "; give it " + needed, "model");
    }
}
