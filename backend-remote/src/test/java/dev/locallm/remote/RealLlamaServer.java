package dev.locallm.remote;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real llama-server process on 127.0.0.1 with an ephemeral port, for the opt-in integration suite: started with
 * a model and {@code --jinja} or without, stopped on {@link #close()}. Its output goes to a log file beside the
 * binary's test output ({@code target/real-servers/NAME.log}). The binaries come from
 * {@code backend-remote/real-servers/build-llama-server.sh}; {@link #configured()} reads them from the system
 * property {@value #PROPERTY} ({@code name=path,name=path}).
 */
final class RealLlamaServer implements AutoCloseable {
    static final String PROPERTY = "locallm.llamaServers";
    private static final Pattern LISTENING = Pattern.compile("listening on http://[0-9.]+:(\\d+)"
            + "|server is listening on http://[0-9.]+:(\\d+)");

    /** One binary to test, and whether to start it with its chat templates in Jinja. */
    record Binary(String name, Path path, boolean jinja) {
        @Override
        public String toString() {
            return name + (jinja ? " --jinja" : " without --jinja");
        }
    }

    private final Process process;
    private final int port;
    private final Path log;

    private RealLlamaServer(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /** Every configured binary, each with and without {@code --jinja}. */
    static List<Binary> configured() {
        String value = System.getProperty(PROPERTY, System.getenv().getOrDefault("LOCALLM_LLAMA_SERVERS", ""));
        List<Binary> out = new ArrayList<>();
        for (String pair : value.split(",")) {
            if (pair.isBlank()) {
                continue;
            }
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException(PROPERTY + " takes name=path pairs, got '" + pair + "'");
            }
            Path path = Path.of(pair.substring(eq + 1).strip());
            if (!Files.isExecutable(path)) {
                throw new IllegalArgumentException("Not an executable llama-server: " + path);
            }
            out.add(new Binary(pair.substring(0, eq).strip(), path, true));
            out.add(new Binary(pair.substring(0, eq).strip(), path, false));
        }
        if (out.isEmpty()) {
            throw new IllegalStateException("No llama-server configured: pass -D" + PROPERTY
                    + "=b4980=/path/to/llama-server,... (see backend-remote/README.md)");
        }
        return out;
    }

    /**
     * Starts the binary on {@code model} with an 8,192-token context in 2 slots, and waits until it listens. A
     * tool-calling prompt takes 650 to 1,150 of stories260K's tokens, over its training context of 512, at which
     * current builds cap a slot: the model's {@code llama.context_length} is raised to 4,096 for them.
     */
    static RealLlamaServer start(Binary binary, Path model) throws IOException, InterruptedException {
        return start(binary, model, 0, binary.name() + (binary.jinja() ? "-jinja" : "-plain"));
    }

    /** {@link #start(Binary, Path)} on this port (0: any free one), logging to {@code target/real-servers/NAME.log}. */
    static RealLlamaServer start(Binary binary, Path model, int port, String logName)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(binary.path().toString(), "-m", model.toString(), "--host",
                "127.0.0.1", "--port", Integer.toString(port), "-c", "8192", "-np", "2", "-t", "2",
                "--override-kv", "llama.context_length=int:4096"));
        if (binary.jinja()) {
            command.add("--jinja");
        } else if (helpMentions(binary.path(), "--no-jinja")) {
            command.add("--no-jinja");
        }
        Path dir = Files.createDirectories(Path.of("target", "real-servers"));
        Path log = dir.resolve(logName + ".log");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        CompletableFuture<Integer> listening = new CompletableFuture<>();
        Thread reader = new Thread(() -> copy(process, log, listening), "llama-server-output");
        reader.setDaemon(true);
        reader.start();
        try {
            return new RealLlamaServer(process, listening.get(120, TimeUnit.SECONDS), log);
        } catch (java.util.concurrent.ExecutionException | TimeoutException e) {
            process.destroyForcibly();
            throw new IllegalStateException(binary + " did not start listening; see " + log.toAbsolutePath(), e);
        }
    }

    private static boolean helpMentions(Path binary, String option) throws IOException, InterruptedException {
        Process help = new ProcessBuilder(binary.toString(), "--help").redirectErrorStream(true).start();
        String text = new String(help.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        help.waitFor();
        return text.contains(option);
    }

    private static void copy(Process process, Path log, CompletableFuture<Integer> port) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8)); var out = Files.newBufferedWriter(log)) {
            for (String line; (line = in.readLine()) != null; ) {
                out.write(line);
                out.newLine();
                out.flush();
                Matcher m = LISTENING.matcher(line);
                if (!port.isDone() && m.find()) {
                    port.complete(Integer.parseInt(m.group(1) != null ? m.group(1) : m.group(2)));
                }
            }
            port.completeExceptionally(new IllegalStateException("llama-server exited with "
                    + process.waitFor()));
        } catch (IOException e) {
            port.completeExceptionally(new UncheckedIOException(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The OpenAI base URL, ending in {@code /v1}. */
    String baseUrl() {
        return "http://127.0.0.1:" + port + "/v1";
    }

    int port() {
        return port;
    }

    /** Generations the server has started, from its log ({@code launch_slot_} lines, in every build). */
    long tasksStarted() throws IOException {
        return log().lines().filter(l -> l.contains("launch_slot_")).count();
    }

    /** Kills the process at once (SIGKILL), as a crash would end it. */
    void kill() throws InterruptedException {
        process.destroyForcibly().waitFor();
    }

    /** The server's output so far. */
    String log() throws IOException {
        return Files.readString(log);
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }
}
