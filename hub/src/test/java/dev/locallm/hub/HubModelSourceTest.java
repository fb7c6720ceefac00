package dev.locallm.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.locallm.ChatModel;
import dev.locallm.LocalLm;
import dev.locallm.chat.ChatRequest;
import dev.locallm.spi.ModelLocation;
import dev.locallm.testkit.TestModels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hf:} names against a loopback Hub and CDN ({@link FakeHub}): the cache laid out as
 * {@code huggingface_hub} documents it, the token kept from the CDN, resumption after a cut, checksums, locks,
 * offline mode, and the errors a user meets.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HubModelSourceTest {
    private static final byte[] MODEL = new byte[300_000];

    static {
        new Random(7).nextBytes(MODEL);
    }

    @TempDir
    Path cache;

    private final FakeHub hub = new FakeHub().file("org/repo/model.gguf", MODEL);

    @AfterEach
    void stop() {
        hub.close();
    }

    private HubModelSource source(String... extra) {
        Map<String, String> env = new HashMap<>(Map.of("HF_ENDPOINT", hub.endpoint(), "HF_HUB_CACHE",
                cache.toString()));
        for (int i = 0; i < extra.length; i += 2) {
            env.put(extra[i], extra[i + 1]);
        }
        return new HubModelSource(env);
    }

    private static ModelLocation hf(String name) {
        return ModelLocation.parse("hf:" + name);
    }

    @Test
    void aFileIsDownloadedIntoTheSharedCacheLayoutAndTheTokenNeverGoesToTheCdn() throws Exception {
        ModelLocation resolved = source("HF_TOKEN", "hf_secret").resolve(hf("org/repo/model.gguf?threads=2"));

        String sha = FakeHub.sha256(MODEL);
        Path repo = cache.resolve("models--org--repo");
        Path snapshot = repo.resolve("snapshots").resolve(FakeHub.COMMIT).resolve("model.gguf");
        assertThat(resolved.scheme()).isEqualTo("gguf");
        assertThat(resolved.path()).isEqualTo(snapshot.toAbsolutePath().toString());
        assertThat(resolved.parameters()).containsEntry("threads", "2");
        assertThat(Files.isSymbolicLink(snapshot)).isTrue();
        assertThat(Files.readSymbolicLink(snapshot).toString()).isEqualTo("../../blobs/" + sha);
        assertThat(Files.readAllBytes(repo.resolve("blobs").resolve(sha))).isEqualTo(MODEL);
        assertThat(Files.readString(repo.resolve("refs").resolve("main"), StandardCharsets.UTF_8))
                .isEqualTo(FakeHub.COMMIT);
        assertThat(cache.resolve(".locks").resolve("models--org--repo").resolve(sha + ".lock")).exists();
        try (var blobs = Files.list(repo.resolve("blobs"))) {
            assertThat(blobs.map(p -> p.getFileName().toString())).containsExactly(sha);
        }
        assertThat(hub.on("hub", "HEAD")).singleElement().satisfies(r ->
                assertThat(r.headers().get("Authorization")).containsExactly("Bearer hf_secret"));
        assertThat(hub.on("cdn", "GET")).singleElement().satisfies(r ->
                assertThat(r.headers()).doesNotContainKey("Authorization"));
    }

    /** The resolved location opens in the llama.cpp backend like any gguf: location. */
    @Test
    void aModelNamedOnTheHubChatsLikeALocalOne() throws Exception {
        byte[] stories = Files.readAllBytes(TestModels.require(TestModels.STORIES_CHATML));
        hub.file("karpathy/tinyllamas/stories260K-chatml.gguf", stories);
        ModelLocation resolved = source().resolve(hf("karpathy/tinyllamas/stories260K-chatml.gguf?threads=1"));
        try (ChatModel model = LocalLm.chatModel(resolved.uri());
             ChatModel local = LocalLm.chatModel("gguf:" + TestModels.require(TestModels.STORIES_CHATML)
                     + "?threads=1")) {
            ChatRequest request = ChatRequest.builder().user("Tell me a story")
                    .options(o -> o.temperature(0).maxTokens(16)).build();
            assertThat(model.chat(request).text()).isNotBlank().isEqualTo(local.chat(request).text());
        }
    }

    @Test
    void aDownloadReportsItsProgressAndTheCacheListsWhatItHolds() {
        HuggingFaceHub hub = HuggingFaceHub.from(Map.of("HF_ENDPOINT", this.hub.endpoint(), "HF_HUB_CACHE",
                cache.toString()));
        List<long[]> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        Path file = hub.download("hf:org/repo/model.gguf", (bytes, total) -> seen.add(new long[] {bytes, total}));
        assertThat(seen).isNotEmpty().allSatisfy(p -> assertThat(p[1]).isEqualTo(MODEL.length));
        assertThat(seen.get(seen.size() - 1)[0]).isEqualTo(MODEL.length);
        assertThat(seen).extracting(p -> p[0]).isSorted();
        assertThat(hub.cachedFiles()).singleElement().satisfies(f -> {
            assertThat(f.repo()).isEqualTo("org/repo");
            assertThat(f.file()).isEqualTo("model.gguf");
            assertThat(f.commit()).isEqualTo(FakeHub.COMMIT);
            assertThat(f.refs()).containsExactly("main");
            assertThat(f.size()).isEqualTo(MODEL.length);
            assertThat(f.path()).isEqualTo(file);
            assertThat(f.name()).isEqualTo("hf:org/repo/model.gguf@main");
        });
        seen.clear();
        assertThat(hub.download("org/repo/model.gguf", (bytes, total) -> seen.add(new long[] {bytes, total})))
                .isEqualTo(file);
        assertThat(seen).as("nothing downloaded the second time").isEmpty();
    }

    /** An ONNX export as the Hub holds one: configuration, tokenizer, graph and its data, and files besides. */
    private void onnxRepository() {
        hub.file("org/onnx/config.json", "{\"model_type\":\"llama\"}".getBytes(StandardCharsets.UTF_8))
                .file("org/onnx/tokenizer.json", "{}".getBytes(StandardCharsets.UTF_8))
                .file("org/onnx/model.onnx", Arrays.copyOf(MODEL, 70_000))
                .file("org/onnx/model.onnx_data", Arrays.copyOfRange(MODEL, 70_000, 250_000))
                .file("org/onnx/README.md", "# a model".getBytes(StandardCharsets.UTF_8))
                .file("org/onnx/onnx/model_q4.onnx", Arrays.copyOf(MODEL, 40_000));
    }

    @Test
    void aRepositoryNameDownloadsTheFilesOfAModelFolderIntoOneSnapshot() throws Exception {
        onnxRepository();
        List<long[]> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        HuggingFaceHub hub = HuggingFaceHub.from(Map.of("HF_ENDPOINT", this.hub.endpoint(), "HF_HUB_CACHE",
                cache.toString()));

        Path folder = hub.download("hf:org/onnx", (bytes, total) -> seen.add(new long[] {bytes, total}));

        Path snapshot = cache.resolve("models--org--onnx/snapshots/" + FakeHub.COMMIT);
        assertThat(folder).isEqualTo(snapshot);
        try (var files = Files.walk(folder)) {
            assertThat(files.filter(f -> !Files.isDirectory(f)).map(f -> folder.relativize(f).toString()))
                    .containsExactlyInAnyOrder("config.json", "tokenizer.json", "model.onnx", "model.onnx_data");
        }
        assertThat(Files.readAllBytes(folder.resolve("model.onnx_data")))
                .isEqualTo(Arrays.copyOfRange(MODEL, 70_000, 250_000));
        assertThat(Files.isSymbolicLink(folder.resolve("model.onnx"))).isTrue();
        assertThat(Files.readString(cache.resolve("models--org--onnx/refs/main"))).isEqualTo(FakeHub.COMMIT);
        long total = 2 + "{\"model_type\":\"llama\"}".length() + 250_000;
        assertThat(seen).isNotEmpty().allSatisfy(p -> assertThat(p[1]).isEqualTo(total));
        assertThat(seen).extracting(p -> p[0]).isSorted();
        assertThat(seen.get(seen.size() - 1)[0]).isEqualTo(total);

        ModelLocation chosen = source().resolve(hf("org/onnx?include=*.json,onnx/*&threads=2"));
        assertThat(chosen.scheme()).isEqualTo("onnx");
        assertThat(chosen.parameters()).isEqualTo(Map.of("threads", "2"));
        assertThat(Path.of(chosen.path()).resolve("onnx/model_q4.onnx")).isRegularFile();
        int asked = this.hub.requests.size();
        assertThat(source("HF_HUB_OFFLINE", "1").resolve(hf("org/onnx"))).isEqualTo(ModelLocation.parse("onnx:"
                + snapshot.toAbsolutePath()));
        assertThat(this.hub.requests).as("offline").hasSize(asked);
    }

    @Test
    void aRepositoryWithoutTheFilesAskedForOrUnknownIsAClearError() {
        onnxRepository();
        assertThatThrownBy(() -> source().resolve(hf("org/onnx?include=*.safetensors")))
                .isInstanceOf(ModelDownloadException.class)
                .hasMessageContaining("No file of hf:org/onnx@main matches *.safetensors; its files: README.md, "
                        + "config.json, model.onnx, model.onnx_data, onnx/model_q4.onnx, tokenizer.json");
        assertThatThrownBy(() -> source().resolve(hf("org/nothing")))
                .isInstanceOf(ModelDownloadException.class).hasMessageContaining("there is no repository org/nothing");
        assertThatThrownBy(() -> source().resolve(hf("org/onnx@v9")))
                .isInstanceOf(ModelDownloadException.class).hasMessageContaining("has no revision 'v9'");
        assertThatThrownBy(() -> source().resolve(hf("org/onnx/README.md")))
                .isInstanceOf(dev.locallm.error.ModelLoadException.class)
                .hasMessageContaining("or the repository (hf:org/onnx) for an ONNX model folder");
    }

    @Test
    void aCachedFileIsNotDownloadedAgainAndOfflineModeAsksNobody() {
        HubModelSource online = source();
        ModelLocation first = online.resolve(hf("org/repo/model.gguf"));
        ModelLocation again = online.resolve(hf("org/repo/model.gguf"));
        assertThat(again).isEqualTo(first);
        assertThat(hub.on("cdn", "GET")).hasSize(1);
        int asked = hub.requests.size();
        assertThat(source("HF_HUB_OFFLINE", "1").resolve(hf("org/repo/model.gguf"))).isEqualTo(first);
        assertThat(source("HF_HUB_OFFLINE", "1").resolve(hf("org/repo/model.gguf@" + FakeHub.COMMIT)))
                .isEqualTo(first);
        assertThat(hub.requests).hasSize(asked);
    }

    @Test
    void aDownloadCutHalfwayContinuesWhereItStopped() throws Exception {
        hub.cutsLeft = 1;
        ModelLocation resolved = source().resolve(hf("org/repo/model.gguf"));
        assertThat(Files.readAllBytes(Path.of(resolved.path()))).isEqualTo(MODEL);
        List<FakeHub.Request> gets = hub.on("cdn", "GET");
        assertThat(gets).hasSize(2);
        assertThat(gets.get(0).headers()).doesNotContainKey("Range");
        assertThat(gets.get(1).headers().get("Range")).singleElement().asString().startsWith("bytes=")
                .isNotEqualTo("bytes=0-");
    }

    /**
     * A CDN that stops sending (for two minutes, past this class's time limit) is given up after
     * HF_HUB_DOWNLOAD_TIMEOUT, and the download continued.
     */
    @Test
    void aDownloadThatStallsIsContinuedAfterTheTimeout() throws Exception {
        hub.stallsLeft = 1;
        ModelLocation resolved = source("HF_HUB_DOWNLOAD_TIMEOUT", "1").resolve(hf("org/repo/model.gguf"));
        assertThat(Files.readAllBytes(Path.of(resolved.path()))).isEqualTo(MODEL);
        assertThat(hub.on("cdn", "GET")).hasSize(2);
        assertThat(hub.on("cdn", "GET").get(1).headers()).containsKey("Range");
    }

    @Test
    void aFileThatDoesNotMatchItsChecksumIsRemovedNeverUsed() {
        hub.wrongChecksum("org/repo/model.gguf");
        assertThatThrownBy(() -> source().resolve(hf("org/repo/model.gguf")))
                .isInstanceOf(ModelDownloadException.class).hasMessageContaining("does not match the Hub's checksum")
                .hasMessageContaining("it was removed");
        assertThat(cache.resolve("models--org--repo").resolve("blobs")).isEmptyDirectory();
        assertThat(cache.resolve("models--org--repo").resolve("snapshots")).doesNotExist();
    }

    @Test
    void twoThreadsDownloadTheFileOnce() throws Exception {
        HubModelSource shared = source();
        ExecutorService two = Executors.newFixedThreadPool(2);
        try {
            Future<ModelLocation> a = two.submit(() -> shared.resolve(hf("org/repo/model.gguf")));
            Future<ModelLocation> b = two.submit(() -> shared.resolve(hf("org/repo/model.gguf")));
            assertThat(a.get(30, TimeUnit.SECONDS)).isEqualTo(b.get(30, TimeUnit.SECONDS));
        } finally {
            two.shutdown();
        }
        assertThat(hub.on("cdn", "GET")).hasSize(1);
    }

    @Test
    void eachRefusalSaysWhatToDo() {
        hub.gated = true;
        assertThatThrownBy(() -> source().resolve(hf("org/repo/model.gguf"))).isInstanceOf(ModelDownloadException.class)
                .hasMessageContaining("401").hasMessageContaining("gated or private").hasMessageContaining("HF_TOKEN");
        hub.gated = false;
        assertThatThrownBy(() -> source().resolve(hf("org/other/model.gguf")))
                .hasMessageContaining("there is no repository org/other");
        assertThatThrownBy(() -> source().resolve(hf("org/repo/model.gguf@v9")))
                .hasMessageContaining("has no revision 'v9'");
        assertThatThrownBy(() -> source().resolve(hf("org/repo/modle.gguf")))
                .hasMessageContaining("has no file 'modle.gguf'");
        assertThatThrownBy(() -> source("HF_HUB_OFFLINE", "1").resolve(hf("org/repo/model.gguf")))
                .hasMessageContaining("HF_HUB_OFFLINE is set").hasMessageContaining("not in the cache");
        assertThatThrownBy(() -> source().resolve(hf("org")))
                .hasMessageContaining("hf:ORG/REPO/FILE.gguf[@REVISION]")
                .hasMessageContaining("hf:ORG/REPO[@REVISION]");
        assertThatThrownBy(() -> source().resolve(hf("org/repo")))
                .hasMessageContaining("No file of hf:org/repo@main matches *.json,*.onnx");
        assertThatThrownBy(() -> source("HF_ENDPOINT", "http://127.0.0.1:1").resolve(hf("org/repo/model.gguf")))
                .isInstanceOf(ModelDownloadException.class).hasMessageContaining("not in the cache");
    }
}
