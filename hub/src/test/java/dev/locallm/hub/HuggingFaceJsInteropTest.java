package dev.locallm.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The cache shared with the Hub's own libraries, checked against huggingface.js ({@code @huggingface/hub}, whose
 * {@code scanCacheDir} ports {@code huggingface_hub}'s {@code scan_cache_dir} and whose
 * {@code downloadFileToCacheDir} writes the same layout): what LocaLLM downloads, it lists as Python's tools would;
 * what it downloads from the same loopback Hub, LocaLLM finds offline. Runs only with
 * {@code -Dlocallm.hfjs=NODE_MODULES} (see {@code hub/interop/install-hfjs.sh}): it needs Node.js and the npm
 * package, which the build does not fetch.
 */
@EnabledIfSystemProperty(named = "locallm.hfjs", matches = ".+")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HuggingFaceJsInteropTest {
    private static final byte[] MODEL = new byte[200_000];
    private static final byte[] OTHER = new byte[150_000];

    static {
        new Random(7).nextBytes(MODEL);
        new Random(8).nextBytes(OTHER);
    }

    @TempDir
    Path cache;

    private final FakeHub hub = new FakeHub().file("org/repo/model.gguf", MODEL).file("org/repo/other.gguf", OTHER);

    @AfterEach
    void stop() {
        hub.close();
    }

    private HuggingFaceHub locallm(boolean offline) {
        return HuggingFaceHub.from(offline ? Map.of("HF_HUB_CACHE", cache.toString(), "HF_HUB_OFFLINE", "1")
                : Map.of("HF_ENDPOINT", hub.endpoint(), "HF_HUB_CACHE", cache.toString()));
    }

    /** Runs {@code hub/interop/hfjs.mjs} with these arguments; its standard output. */
    private String huggingFaceJs(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("node", Path.of("interop", "hfjs.mjs").toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("HFJS_MODULES", System.getProperty("locallm.hfjs"));
        Process p = builder.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out.strip();
    }

    @Test
    void aFileLocallmDownloadedIsListedByHuggingFaceJsAsPythonsScanWould() throws Exception {
        Path file = locallm(false).download("hf:org/repo/model.gguf", (bytes, total) -> { });

        JsonNode scan = JsonMapper.shared().readTree(huggingFaceJs("scan", cache.toString()));

        assertThat(scan.get("warnings")).as("layout warnings").isEmpty();
        assertThat(scan.get("repos")).hasSize(1);
        JsonNode repo = scan.at("/repos/0");
        assertThat(repo.get("id").asString()).isEqualTo("org/repo");
        assertThat(repo.get("type").asString()).isEqualTo("model");
        assertThat(repo.get("size").asLong()).isEqualTo(MODEL.length);
        assertThat(repo.get("revisions")).hasSize(1);
        JsonNode revision = repo.at("/revisions/0");
        assertThat(revision.get("commit").asString()).isEqualTo(FakeHub.COMMIT);
        assertThat(revision.get("refs")).extracting(JsonNode::asString).containsExactly("main");
        assertThat(revision.get("files")).hasSize(1);
        assertThat(Path.of(revision.at("/files/0/path").asString())).isEqualTo(file);
        assertThat(revision.at("/files/0/size").asLong()).isEqualTo(MODEL.length);
        assertThat(Path.of(revision.at("/files/0/blob").asString()))
                .isEqualTo(cache.resolve("models--org--repo/blobs/" + FakeHub.sha256(MODEL)).toRealPath());
        assertThat(file).isEqualTo(cache.resolve("models--org--repo/snapshots/" + FakeHub.COMMIT + "/model.gguf"));
    }

    @Test
    void aFileHuggingFaceJsDownloadedIsFoundOfflineByLocallmAtItsCommit() throws Exception {
        Path written = Path.of(huggingFaceJs("download", hub.endpoint(), cache.toString(), "org/repo", "other.gguf",
                "main"));

        Path found = locallm(true).download("hf:org/repo/other.gguf@" + FakeHub.COMMIT, (bytes, total) -> { });

        assertThat(found).isEqualTo(written);
        assertThat(Files.readAllBytes(found)).isEqualTo(OTHER);
        assertThat(cache.resolve("models--org--repo/blobs/" + FakeHub.sha256(OTHER))).isRegularFile();
        assertThat(cache.resolve("models--org--repo/refs/main")).as("huggingface.js records no ref").doesNotExist();
        assertThatThrownBy(() -> locallm(true).download("hf:org/repo/other.gguf", (bytes, total) -> { }))
                .isInstanceOf(ModelDownloadException.class).hasMessageContaining(
                        "HF_HUB_OFFLINE is set and hf:org/repo/other.gguf@main is not in the cache");

        locallm(false).download("hf:org/repo/model.gguf", (bytes, total) -> { });
        JsonNode scan = JsonMapper.shared().readTree(huggingFaceJs("scan", cache.toString()));
        assertThat(scan.get("warnings")).isEmpty();
        assertThat(scan.at("/repos/0/revisions/0/files")).extracting(f -> Path.of(f.get("path").asString())
                .getFileName().toString()).containsExactlyInAnyOrder("model.gguf", "other.gguf");
    }
}
