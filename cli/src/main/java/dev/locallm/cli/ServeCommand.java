package dev.locallm.cli;

import dev.locallm.ChatModel;
import dev.locallm.EmbeddingModel;
import dev.locallm.LocalLm;
import dev.locallm.server.LocalLmServer;
import dev.locallm.spi.ModelLocation;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * {@code locallm serve}: serves a model over the OpenAI API until the process is stopped. The server listens
 * first (so {@code /health} answers 503 while the model loads), then prints the base URL and model name to
 * enter in Dify, Langflow, n8n or any OpenAI client. Stopping it (Ctrl-C, SIGTERM) lets running requests finish
 * within the drain timeout.
 */
@Command(name = "serve", description = "Serve a model over the OpenAI API (chat completions, embeddings).")
final class ServeCommand implements Callable<Integer> {

    @Mixin
    ModelOptions model;

    @Option(names = "--name", paramLabel = "NAME",
            description = "The model name clients ask for. Default: the file name without .gguf.")
    String name;

    @Option(names = "--host", paramLabel = "HOST", defaultValue = "127.0.0.1",
            description = "Address to listen on; 0.0.0.0 opens it to the network. Default: ${DEFAULT-VALUE}.")
    String host;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "8080",
            description = "Port to listen on; 0 for any free one. Default: ${DEFAULT-VALUE}.")
    int port;

    @Option(names = "--api-key", paramLabel = "KEY", defaultValue = "${env:LOCALLM_API_KEY}",
            description = "Require 'Authorization: Bearer KEY' (also read from LOCALLM_API_KEY).")
    String apiKey;

    @Option(names = "--parallel", paramLabel = "N", defaultValue = "2",
            description = "Requests generated at the same time (llama.cpp slots, ONNX Runtime runs). "
                    + "Default: ${DEFAULT-VALUE}.")
    int parallel;

    @Option(names = "--queue", paramLabel = "N", defaultValue = "16",
            description = "Requests that may wait for a slot before others get 503. Default: ${DEFAULT-VALUE}.")
    int queue;

    @Option(names = "--cors", paramLabel = "ORIGIN", split = ",",
            description = "Browser origins allowed to call the API (CORS); none by default.")
    List<String> corsOrigins = new ArrayList<>();

    @Option(names = "--embedding-model", paramLabel = "PATH|URI",
            description = "Also serve this model on /v1/embeddings, under its file name.")
    String embeddingModel;

    @Option(names = "--drain-timeout", paramLabel = "SECONDS", defaultValue = "30",
            description = "On stop, how long running requests may take to finish. Default: ${DEFAULT-VALUE}.")
    int drainSeconds;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        model.verbose.apply();
        if (parallel < 1 || queue < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--parallel must be >= 1, --queue >= 0");
        }
        String served = name != null ? name : ModelLocation.parse(model.model).name();
        LocalLmServer.Builder builder = LocalLmServer.builder().host(host).port(port).queueSize(queue)
                .corsOrigins(corsOrigins).drainTimeout(Duration.ofSeconds(drainSeconds));
        if (apiKey != null && !apiKey.isBlank()) {
            builder.apiKey(apiKey);
        }
        LocalLmServer server = builder.build().start();
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "locallm-serve-shutdown"));
        PrintWriter err = spec.commandLine().getErr();
        err.println("Loading " + model.model + " ...");
        err.flush();
        ChatModel chat = model.builder(parallel).buildChatModel();
        server.addChatModel(served, chat);
        List<String> names = new ArrayList<>(List.of(served));
        if (embeddingModel != null) {
            String embeddingName = ModelLocation.parse(embeddingModel).name();
            EmbeddingModel embeddings = LocalLm.embeddingModel(embeddingModel);
            server.addEmbeddingModel(embeddingName, embeddings);
            names.add(embeddingName);
        }
        server.markReady();
        PrintWriter out = spec.commandLine().getOut();
        out.println("OpenAI base URL: " + server.baseUrl());
        out.println("Model: " + String.join(", ", names));
        out.println("API key: " + (apiKey == null || apiKey.isBlank() ? "none needed (any value works)" : "required"));
        out.flush();
        err.println("Serving; stop with Ctrl-C.");
        err.flush();
        server.join();
        return 0;
    }
}
