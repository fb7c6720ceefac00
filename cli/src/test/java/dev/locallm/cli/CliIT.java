package dev.locallm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.locallm.llamacpp.gguf.GgmlType;
import dev.locallm.llamacpp.gguf.SyntheticLlamaGguf;
import dev.locallm.testkit.TestModels;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/** Runs the packaged {@code locallm.jar} as a user would, in its own JVM. */
@Timeout(300)
class CliIT {
    private static final ObjectMapper JSON = JsonMapper.builder().build();
    private static final long PROCESS_LIMIT_S = 120;

    @TempDir
    Path workDir;

    record Result(int exitCode, String stdout, String stderr) { }

    private Result locallm(String... args) throws IOException, InterruptedException {
        return locallm(Map.of(), Files.writeString(workDir.resolve("in.txt"), ""), args);
    }

    /** {@link #locallm} with {@code LOCALLM_TEST_KEY=s3cret} in the environment. */
    private Result locallmWithKey(String... args) throws IOException, InterruptedException {
        return locallm(Map.of("LOCALLM_TEST_KEY", "s3cret"), Files.writeString(workDir.resolve("in.txt"), ""), args);
    }

    /**
     * Runs {@code locallm} with this environment and standard input, to completion. Its output goes to files,
     * never to pipes: a process blocked on a full pipe that nobody reads (stderr while stdout is being read to its
     * end, say) would never exit.
     */
    private Result locallm(Map<String, String> environment, Path input, String... args)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-jar", System.getProperty("locallm.cli.jar")));
        command.addAll(List.of(args));
        Path out = workDir.resolve("stdout.txt");
        Path err = workDir.resolve("stderr.txt");
        ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile());
        builder.environment().putAll(environment);
        Process p = builder.redirectInput(input.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile())
                .start();
        try {
            // only a hang gets near this limit
            assertThat(p.waitFor(PROCESS_LIMIT_S, TimeUnit.SECONDS)).as("locallm %s exited", List.of(args)).isTrue();
        } finally {
            p.destroyForcibly();
        }
        return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    private List<Path> hsErrFiles() throws IOException {
        try (Stream<Path> files = Files.list(workDir)) {
            return files.filter(f -> f.getFileName().toString().startsWith("hs_err")).toList();
        }
    }

    @Test
    void chatPrintsTheSameModelTextTwiceAndExits() throws Exception {
        // given
        String model = TestModels.require(TestModels.STORIES_CHATML).toString();
        String[] args = {"chat", "--model", model, "--prompt", "Tell me a story", "--max-tokens", "48", "--seed", "1",
                "--temperature", "0"};
        // when
        Result first = locallm(args);
        Result second = locallm(args);
        // then
        assertThat(first.exitCode()).as(first.stderr()).isZero();
        assertThat(first.stdout()).isNotBlank().isEqualTo(second.stdout());
        assertThat(first.stdout().strip().length()).isGreaterThan(40);
        assertThat(first.stderr()).doesNotContain("llama_model_loader", "print_info", "ERROR");
    }

    @Test
    void chatTakesAModelUriAndKeepsHistoryInteractively() throws Exception {
        String model = "gguf:" + TestModels.require(TestModels.STORIES) + "?threads=1";
        Path input = Files.writeString(workDir.resolve("conversation.txt"), "Hello\nTell me more\n/exit\n");
        Result r = locallm(Map.of(), input, "chat", "--model", model, "-n", "8", "--seed", "3", "--stats");
        String stdout = r.stdout();
        String stderr = r.stderr();
        assertThat(r.exitCode()).as(stderr).isZero();
        assertThat(stdout.lines().filter(l -> !l.isBlank()).count()).isGreaterThanOrEqualTo(2);
        List<Integer> promptTokens = stderr.lines().filter(l -> l.contains("prompt +"))
                .map(l -> Integer.parseInt(l.replaceAll(".*, (\\d+) prompt \\+.*", "$1"))).toList();
        assertThat(promptTokens).hasSize(2);
        assertThat(promptTokens.get(1)).as("the second turn includes the first").isGreaterThan(promptTokens.get(0) + 8);
    }

    @Test
    void infoPrintsTheMetadataAsJson() throws Exception {
        Result r = locallm("info", "--model", TestModels.require(TestModels.STORIES_CHATML).toString());
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        JsonNode json = JSON.readTree(r.stdout());
        assertThat(json.get("architecture").asString()).isEqualTo("llama");
        assertThat(json.get("chatTemplate").asString()).contains("<|im_start|>");
        assertThat(json.get("parameterCount").asLong()).isEqualTo(292_800);
        assertThat(json.at("/metadata/tokenizer.ggml.tokens/length").asInt()).isEqualTo(512);
        assertThat(json.get("tensorCount").asInt()).isEqualTo(48);
    }

    @Test
    void infoNativeDescribesTheLibraryThisMachineLoads() throws Exception {
        Result r = locallm("info", "--native");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        JsonNode json = JSON.readTree(r.stdout());
        assertThat(json.get("origin").asString()).isEqualTo("BINDING_JAR");
        assertThat(json.get("variant").asString()).isEqualTo("stock");
        assertThat(json.get("llamaCpp").asString()).isEqualTo("b4916");
        assertThat(json.get("gpuOffload").asString()).isIn("NOT_SUPPORTED", "SUPPORTED");
        assertThat(Files.isRegularFile(Path.of(json.get("location").asString()))).isTrue();
        Result none = locallm("info");
        assertThat(none.exitCode()).isEqualTo(2);
        assertThat(none.stderr()).contains("--model").contains("--native");
    }

    @Test
    void infoOnATruncatedCopyFailsWithOneLine() throws Exception {
        byte[] model = Files.readAllBytes(TestModels.require(TestModels.STORIES_CHATML));
        Path truncated = Files.write(workDir.resolve("truncated.gguf"), Arrays.copyOf(model, model.length / 2));
        Result r = locallm("info", "--model", truncated.toString());
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.stderr().lines().toList()).hasSize(1).first().asString()
                .startsWith("locallm: error: Malformed GGUF file truncated.gguf")
                .contains("past the end of the file");
        assertThat(r.stdout()).isEmpty();
        assertThat(hsErrFiles()).isEmpty();
    }

    @Test
    @Timeout(value = 40, unit = TimeUnit.MINUTES) // 37 JVMs, each with its own limit: the class's would be too tight
    void malformedFilesNeverCrashTheJvm() throws Exception {
        // given 36 malformed files: truncations of a valid synthetic model and corrupted header fields
        byte[] valid = Files.readAllBytes(new SyntheticLlamaGguf().shape(64, 1, 4, 4, 64, 360)
                .weightType(GgmlType.Q8_0).write(workDir.resolve("valid.gguf")));
        List<byte[]> malformed = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            malformed.add(Arrays.copyOf(valid, (int) ((long) valid.length * i / 30)));
        }
        long[][] fields = {{0, 0x12345678}, {4, 1}, {4, 77}, {8, -1}, {16, 1L << 40}, {24, 1L << 55}};
        for (long[] f : fields) {
            byte[] b = valid.clone();
            ByteBuffer buffer = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
            if (f[0] < 8) {
                buffer.putInt((int) f[0], (int) f[1]);
            } else {
                buffer.putLong((int) f[0], f[1]);
            }
            malformed.add(b);
        }
        // when / then
        for (int i = 0; i < malformed.size(); i++) {
            Path file = Files.write(workDir.resolve("malformed-" + i + ".gguf"), malformed.get(i));
            Result r = locallm("info", "--model", file.toString());
            assertThat(r.exitCode()).as("file %d: %s", i, r.stderr()).isEqualTo(1);
            assertThat(r.stderr().lines().toList()).as("file %d", i).hasSize(1)
                    .allMatch(l -> l.startsWith("locallm: error: "));
        }
        assertThat(hsErrFiles()).isEmpty();
    }

    @Test
    void jsonSchemaPrintsOnlyValidJsonOrOneLineWhyNot() throws Exception {
        String model = "gguf:" + TestModels.require(TestModels.STORIES_CHATML) + "?ctx=2048";
        Path schema = Files.writeString(workDir.resolve("book.json"), "{\"type\":\"object\",\"properties\":"
                + "{\"title\":{\"type\":\"string\",\"maxLength\":20},\"year\":{\"type\":\"integer\","
                + "\"minimum\":1900,\"maximum\":2030}},\"required\":[\"title\",\"year\"],"
                + "\"additionalProperties\":false}");
        Result ok = locallm("chat", "-m", model, "-p", "A book", "--json-schema", schema.toString(), "--seed", "1",
                "-n", "200");
        assertThat(ok.exitCode()).as(ok.stderr()).isZero();
        JsonNode book = JSON.readTree(ok.stdout());
        assertThat(book.get("year").asInt()).isBetween(1900, 2030);
        assertThat(book.get("title").asString().length()).isLessThanOrEqualTo(20);

        Result truncated = locallm("chat", "-m", model, "-p", "A book", "--json-schema", schema.toString(), "-n", "4");
        assertThat(truncated.exitCode()).isEqualTo(1);
        assertThat(truncated.stderr().lines().toList()).singleElement().asString().contains("cut short");

        Path unsupported = Files.writeString(workDir.resolve("bad.json"), "{\"type\":\"array\",\"uniqueItems\":true}");
        Result refused = locallm("chat", "-m", model, "-p", "x", "--json-schema", unsupported.toString(),
                "--grammar-only");
        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(refused.stderr().lines().toList()).singleElement().asString().contains("'uniqueItems' at #");
        Path remote = Files.writeString(workDir.resolve("remote.json"), "{\"$ref\":\"https://example.com/s.json\"}");
        Result remoteRefused = locallm("chat", "-m", model, "-p", "x", "--json-schema", remote.toString());
        assertThat(remoteRefused.exitCode()).isEqualTo(1);
        assertThat(remoteRefused.stderr().lines().toList()).singleElement().asString().contains("remote reference");
    }

    @Test
    void toolsPrintTheCallsAsAJsonArray() throws Exception {
        String model = "gguf:" + TestModels.require(TestModels.STORIES_CHATML) + "?ctx=2048";
        Path tools = Files.writeString(workDir.resolve("tools.json"), "[{\"type\":\"function\",\"function\":"
                + "{\"name\":\"get_weather\",\"description\":\"Weather\",\"parameters\":{\"type\":\"object\","
                + "\"properties\":{\"city\":{\"type\":\"string\",\"maxLength\":20}},\"required\":[\"city\"]}}}]");
        Result r = locallm("chat", "-m", model, "-p", "Weather?", "--tools", tools.toString(), "--tool-choice",
                "required", "--seed", "1", "-n", "200");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        JsonNode calls = JSON.readTree(r.stdout());
        assertThat(calls.isArray()).isTrue();
        assertThat(calls.get(0).at("/function/name").asString()).isEqualTo("get_weather");
        assertThat(JSON.readTree(calls.get(0).at("/function/arguments").asString()).has("city")).isTrue();
    }

    /**
     * A model named on the Hub: a loopback server answers the Hub's HEAD (commit, sha256, size) and serves the file;
     * the jar downloads it into the cache the environment names and chats exactly as with the file's path.
     */
    @Test
    void aModelNamedOnTheHubIsDownloadedOnceAndChatsLikeTheFileAndIsListed() throws Exception {
        String model = TestModels.require(TestModels.STORIES_CHATML).toString();
        byte[] bytes = Files.readAllBytes(Path.of(model));
        String sha = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(bytes));
        com.sun.net.httpserver.HttpServer hub = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
        java.util.concurrent.atomic.AtomicInteger downloads = new java.util.concurrent.atomic.AtomicInteger();
        hub.createContext("/", ex -> {
            if (ex.getRequestMethod().equals("HEAD")) {
                ex.getResponseHeaders().set("X-Repo-Commit", "a".repeat(40));
                ex.getResponseHeaders().set("X-Linked-Etag", "\"" + sha + "\"");
                ex.getResponseHeaders().set("X-Linked-Size", Integer.toString(bytes.length));
                ex.sendResponseHeaders(200, -1);
            } else {
                downloads.incrementAndGet();
                ex.sendResponseHeaders(200, bytes.length);
                ex.getResponseBody().write(bytes);
            }
            ex.close();
        });
        hub.start();
        try {
            Map<String, String> env = Map.of("HF_ENDPOINT", "http://127.0.0.1:" + hub.getAddress().getPort(),
                    "HF_HUB_CACHE", workDir.resolve("hf-cache").toString());
            Path none = Files.writeString(workDir.resolve("in.txt"), "");
            String name = "hf:karpathy/tinyllamas/stories260K-chatml.gguf";
            Result byName = locallm(env, none, "chat", "--model", name, "--prompt", "Hello", "-n", "12",
                    "--temperature", "0");
            Result again = locallm(env, none, "chat", "--model", name, "--prompt", "Hello", "-n", "12",
                    "--temperature", "0");
            Result byPath = locallm("chat", "--model", model, "--prompt", "Hello", "-n", "12", "--temperature", "0");
            assertThat(byName.exitCode()).as(byName.stderr()).isZero();
            assertThat(byName.stdout()).isNotBlank().isEqualTo(byPath.stdout()).isEqualTo(again.stdout());
            Result pull = locallm(env, none, "pull", name);
            Result models = locallm(env, none, "models");
            assertThat(downloads.get()).as("downloads").isEqualTo(1);
            assertThat(workDir.resolve("hf-cache/models--karpathy--tinyllamas/blobs/" + sha)).exists();
            assertThat(pull.exitCode()).as(pull.stderr()).isZero();
            assertThat(pull.stdout().strip()).isEqualTo(workDir.resolve("hf-cache/models--karpathy--tinyllamas/"
                    + "snapshots/" + "a".repeat(40) + "/stories260K-chatml.gguf").toString());
            assertThat(models.stdout()).contains("hf:karpathy/tinyllamas/stories260K-chatml.gguf@main")
                    .contains(String.format(java.util.Locale.ROOT, "%.1f MB", bytes.length / 1e6));
            Result gated = locallm(Map.of("HF_ENDPOINT", "http://127.0.0.1:" + hub.getAddress().getPort(),
                    "HF_HUB_CACHE", workDir.resolve("other-cache").toString(), "HF_HUB_OFFLINE", "1"), none, "pull",
                    name);
            assertThat(gated.exitCode()).isEqualTo(1);
            assertThat(gated.stderr().strip()).startsWith("locallm: error: HF_HUB_OFFLINE is set");
        } finally {
            hub.stop(0);
        }
    }

    @Test
    void badArgumentsAreOneClearLine() throws Exception {
        Result r = locallm("chat", "--model", "/nowhere/model.gguf", "--prompt", "hi");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.stderr().strip()).isEqualTo("locallm: error: Model file not found: /nowhere/model.gguf");
        Result unknownScheme = locallm("chat", "--model", "foo:bar", "--prompt", "hi");
        assertThat(unknownScheme.stderr()).contains("Unknown scheme 'foo'").contains("gguf");
        Result remoteThreads = locallm("chat", "--model", "openai:http://127.0.0.1:9/v1?model=m", "--threads", "2",
                "--prompt", "hi");
        assertThat(remoteThreads.exitCode()).isEqualTo(1);
        assertThat(remoteThreads.stderr().strip()).hasLineCount(1).contains("--threads", "openai:http://127.0.0.1:9");
        Result usage = locallm("chat");
        assertThat(usage.exitCode()).isEqualTo(2);
        assertThat(usage.stderr()).contains("Missing required option: '--model");
        int closed;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            closed = socket.getLocalPort();
        }
        Result probe = locallm("probe", "--model", "openai:http://127.0.0.1:" + closed + "/v1?model=m&retries=0");
        assertThat(probe.exitCode()).as("probe of a closed port").isEqualTo(1);
        assertThat(probe.stderr().strip()).startsWith("locallm: error: The server at http://127.0.0.1:" + closed
                + "/v1 is unreachable: the connection was refused");
    }

    @Test
    void aBatchKilledMidRunIsCompletedByRunningItAgainWithEachIdOnce() throws Exception {
        String model = TestModels.require(TestModels.STORIES_CHATML).toString();
        int requests = 200;
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
            lines.add("{\"custom_id\":\"req-" + i + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
                    + "\"body\":{\"model\":\"stories\",\"max_tokens\":64,\"messages\":[{\"role\":\"user\","
                    + "\"content\":\"Tell story " + i + "\"}]}}");
        }
        Path input = Files.write(workDir.resolve("requests.jsonl"), lines);
        Path output = workDir.resolve("results.jsonl");
        String[] args = {"batch", "--model", model, "--threads", "1", "--ctx", "512", "--parallel", "2",
                "--input", input.toString(), "--output", output.toString()};
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-jar", System.getProperty("locallm.cli.jar")));
        command.addAll(List.of(args));
        Process first = new ProcessBuilder(command).directory(workDir.toFile())
                .redirectOutput(workDir.resolve("first.out").toFile())
                .redirectError(workDir.resolve("first.err").toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(PROCESS_LIMIT_S);
            while (resultLines(output) < 5 && first.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
        } finally {
            first.destroyForcibly();
        }
        assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
        long beforeKill = resultLines(output);
        assertThat(beforeKill).as("results when killed (%s)", Files.readString(workDir.resolve("first.err")))
                .isBetween(5L, requests - 1L);

        Result second = locallm(Map.of(), Files.writeString(workDir.resolve("in.txt"), ""), args);

        assertThat(second.exitCode()).as(second.stderr()).isZero();
        List<JsonNode> results = new ArrayList<>();
        for (String line : Files.readAllLines(output)) {
            results.add(JSON.readTree(line));
        }
        assertThat(results).hasSize(requests);
        assertThat(results.stream().map(r -> r.get("custom_id").asString()).distinct().count()).isEqualTo(requests);
        assertThat(results).allSatisfy(r -> {
            assertThat(r.at("/response/status_code").asInt()).isEqualTo(200);
            assertThat(r.at("/response/body/usage/completion_tokens").asInt()).isBetween(1, 64);
        });
        assertThat(second.stdout()).startsWith("Done: " + (requests - beforeKill) + " answered, 0 failed, " + beforeKill
                + " skipped");
    }

    /** Complete lines in a results file (a line being written when the process died has no newline yet). */
    private static long resultLines(Path output) throws IOException {
        if (!Files.exists(output)) {
            return 0;
        }
        byte[] bytes = Files.readAllBytes(output);
        long lines = 0;
        for (byte b : bytes) {
            if (b == '\n') {
                lines++;
            }
        }
        return lines;
    }

    /** A started {@code locallm serve}, the three lines of its banner, and where its stderr goes. */
    private record Served(Process process, List<String> banner, Path stderr) {
        String baseUrl() {
            return banner.get(0).substring("OpenAI base URL: ".length());
        }

        /** Stops it as Ctrl-C would and asserts it ended. */
        void stop() throws InterruptedException {
            process.destroy();
            boolean stopped = process.waitFor(60, TimeUnit.SECONDS); // only a hang gets near this limit
            if (!stopped) {
                process.destroyForcibly();
            }
            assertThat(stopped).as("serve stops on SIGTERM").isTrue();
        }
    }

    /** Starts {@code locallm serve} with these arguments and waits for its banner. */
    private Served serve(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-jar", System.getProperty("locallm.cli.jar"), "serve"));
        command.addAll(List.of(args));
        Path stderr = workDir.resolve("serve.err");
        Process p = new ProcessBuilder(command).directory(workDir.toFile()).redirectError(stderr.toFile()).start();
        java.io.BufferedReader stdout = new java.io.BufferedReader(new java.io.InputStreamReader(
                p.getInputStream(), StandardCharsets.UTF_8));
        try {
            // read in another thread: a server that hangs before printing must fail the test, not hang it
            List<String> banner = CompletableFuture.supplyAsync(() -> {
                try {
                    return Arrays.asList(stdout.readLine(), stdout.readLine(), stdout.readLine());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).get(PROCESS_LIMIT_S, TimeUnit.SECONDS);
            if (banner.contains(null)) {
                throw new IllegalStateException("serve ended before its banner: " + banner);
            }
            return new Served(p, banner, stderr);
        } catch (Exception e) {
            p.destroyForcibly();
            throw new AssertionError("serve did not start: " + Files.readString(stderr), e);
        }
    }

    private static java.net.http.HttpResponse<String> post(String url, String body)
            throws IOException, InterruptedException {
        return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(url)).header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void serveStreamsSseToAnOpenAiRequestAndStopsOnSigterm() throws Exception {
        String model = TestModels.require(TestModels.STORIES_CHATML).toString();
        Served served = serve("--model", model, "--port", "0", "--threads", "1", "--ctx", "1024", "--api-key",
                "s3cret");
        try {
            List<String> banner = served.banner();
            String baseUrl = banner.get(0);
            assertThat(baseUrl).startsWith("OpenAI base URL: http://127.0.0.1:").endsWith("/v1");
            baseUrl = baseUrl.substring("OpenAI base URL: ".length());
            assertThat(banner.get(1)).isEqualTo("Model: stories260K-chatml");
            assertThat(banner.get(2)).isEqualTo("API key: required");

            java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
            java.net.http.HttpResponse<Stream<String>> response = http.send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(baseUrl + "/chat/completions")).header("Authorization", "Bearer s3cret")
                    .header("Content-Type", "application/json").POST(java.net.http.HttpRequest.BodyPublishers
                            .ofString("{\"model\":\"stories260K-chatml\",\"stream\":true,\"max_tokens\":12,"
                                    + "\"seed\":4,\"temperature\":0,"
                                    + "\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofLines());
            List<String> events = response.body().filter(l -> l.startsWith("data: ")).toList();
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(events).hasSizeGreaterThan(3).last().isEqualTo("data: [DONE]");
            assertThat(JSON.readTree(events.get(1).substring(6)).at("/choices/0/delta/content").asString())
                    .isNotEmpty();

            // the same model through the remote backend: only the model URI changes
            String remote = "openai:" + baseUrl + "?model=stories260K-chatml&api-key-env=LOCALLM_TEST_KEY";
            Result local = locallm("chat", "--model", model, "--prompt", "Hello", "-n", "12", "--seed", "4",
                    "--temperature", "0", "--ctx", "1024");
            Result viaServer = locallmWithKey("chat", "--model", remote, "--prompt", "Hello", "-n", "12", "--seed", "4",
                    "--temperature", "0");
            assertThat(viaServer.exitCode()).as(viaServer.stderr()).isZero();
            assertThat(viaServer.stdout()).isEqualTo(local.stdout());
            Result probe = locallmWithKey("probe", "--model", remote);
            assertThat(probe.exitCode()).as(probe.stderr()).isZero();
            JsonNode capabilities = JSON.readTree(probe.stdout());
            assertThat(capabilities.get("dialect").asString()).isEqualTo("locallm");
            assertThat(capabilities.get("json_schema_enforced").asBoolean()).isTrue();
            assertThat(capabilities.get("tool_choice_required").asBoolean()).isTrue();
        } finally {
            served.stop();
        }
        assertThat(Files.readString(served.stderr())).doesNotContain("ERROR", "llama_model_loader");
    }

    /**
     * An ONNX model folder takes the same commands and flags as a GGUF file. Greedy chat on stories260K-onnx writes
     * what the GGUF of the same weights writes (both get the ChatML fallback template); {@code serve} answers a JSON
     * schema request with JSON that validates and streams with usage; {@code --gpu-layers} is refused in one line.
     */
    @Test
    void onnxModelFolderChatsLikeTheGgufOfTheSameWeightsAndIsServed() throws Exception {
        String onnx = "onnx:" + TestModels.require(TestModels.STORIES_ONNX);
        String gguf = TestModels.require(TestModels.STORIES).toString();
        String[] chat = {"chat", "--prompt", "Tell me a story", "-n", "32", "--temperature", "0", "--threads", "1",
                "--ctx", "256"};
        Result viaOnnx = locallm(Stream.concat(Stream.of(chat), Stream.of("--model", onnx)).toArray(String[]::new));
        Result viaGguf = locallm(Stream.concat(Stream.of(chat), Stream.of("--model", gguf)).toArray(String[]::new));
        assertThat(viaOnnx.exitCode()).as(viaOnnx.stderr()).isZero();
        assertThat(viaOnnx.stdout().strip()).hasSizeGreaterThan(20).isEqualTo(viaGguf.stdout().strip());

        Result gpu = locallm("chat", "--model", onnx, "--prompt", "Hi", "--gpu-layers", "8");
        assertThat(gpu.exitCode()).isEqualTo(LocalLmCommand.EXIT_ERROR);
        assertThat(gpu.stderr().strip()).hasLineCount(1).contains("--gpu-layers", "device=cuda");

        Served served = serve("--model", onnx, "--port", "0", "--threads", "1", "--ctx", "256", "--parallel", "2");
        try {
            assertThat(served.banner().get(1)).isEqualTo("Model: stories260K-onnx");
            String url = served.baseUrl() + "/chat/completions";
            java.net.http.HttpResponse<String> json = post(url, "{\"model\":\"stories260K-onnx\",\"max_tokens\":200,"
                    + "\"messages\":[{\"role\":\"user\",\"content\":\"A person\"}],\"response_format\":"
                    + "{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"p\",\"schema\":{\"type\":\"object\","
                    + "\"properties\":{\"name\":{\"type\":\"string\",\"maxLength\":8},\"age\":{\"type\":\"integer\"}},"
                    + "\"required\":[\"name\",\"age\"],\"additionalProperties\":false}}}}");
            assertThat(json.statusCode()).as(json.body()).isEqualTo(200);
            JsonNode person = JSON.readTree(JSON.readTree(json.body()).at("/choices/0/message/content").asString());
            assertThat(person.get("name").isString()).isTrue();
            assertThat(person.get("name").asString().length()).isLessThanOrEqualTo(8);
            assertThat(person.get("age").isIntegralNumber()).isTrue();
            assertThat(person.size()).isEqualTo(2);

            java.net.http.HttpResponse<String> stream = post(url, "{\"model\":\"stories260K-onnx\",\"stream\":true,"
                    + "\"stream_options\":{\"include_usage\":true},\"max_tokens\":16,\"seed\":2,"
                    + "\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}");
            List<String> events = stream.body().lines().filter(l -> l.startsWith("data: ")).toList();
            assertThat(stream.statusCode()).isEqualTo(200);
            assertThat(events).last().isEqualTo("data: [DONE]");
            JsonNode usage = JSON.readTree(events.get(events.size() - 2).substring(6)).get("usage");
            assertThat(usage.get("completion_tokens").asInt()).isBetween(1, 16);
            assertThat(usage.get("prompt_tokens").asInt()).isPositive();
        } finally {
            served.stop();
        }
        assertThat(Files.readString(served.stderr())).doesNotContain("ERROR");
    }
}
