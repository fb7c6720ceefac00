package dev.locallm.hub;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A loopback server that answers like the Hugging Face Hub for LFS files, and a second one that plays its CDN:
 * {@code HEAD /ORG/REPO/resolve/REV/FILE} answers 302 to the CDN with {@code X-Repo-Commit},
 * {@code X-Linked-Etag} (the sha256) and {@code X-Linked-Size}, or 401 for a gated repository, or 404 with
 * {@code X-Error-Code}; the CDN serves the bytes, honours {@code Range}, and can be told to cut a body halfway or
 * to serve other bytes than the checksum says. Records every request with its headers.
 */
final class FakeHub implements AutoCloseable {
    static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";

    record Request(String server, String method, String path, Map<String, List<String>> headers) { }

    final List<Request> requests = new CopyOnWriteArrayList<>();
    private final HttpServer hub = server();
    private final HttpServer cdn = server();
    private final Map<String, byte[]> files = new ConcurrentHashMap<>();
    private final Map<String, String> claimedSha = new ConcurrentHashMap<>();
    volatile boolean gated;
    volatile int cutsLeft;
    volatile int stallsLeft;

    FakeHub() {
        hub.createContext("/", this::hub);
        cdn.createContext("/", this::cdn);
        hub.start();
        cdn.start();
    }

    private static HttpServer server() {
        try {
            HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            s.setExecutor(Executors.newCachedThreadPool(r -> {
                Thread t = new Thread(r, "fake-hub");
                t.setDaemon(true);
                return t;
            }));
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Serves {@code bytes} as {@code ORG/REPO/FILE}. */
    FakeHub file(String repoFile, byte[] bytes) {
        files.put(repoFile, bytes);
        return this;
    }

    /** Claims another sha256 for the file than its bytes have. */
    FakeHub wrongChecksum(String repoFile) {
        claimedSha.put(repoFile, "f".repeat(64));
        return this;
    }

    String endpoint() {
        return "http://127.0.0.1:" + hub.getAddress().getPort();
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    List<Request> on(String server, String method) {
        return requests.stream().filter(r -> r.server().equals(server) && r.method().equals(method)).toList();
    }

    private void hub(HttpExchange ex) throws IOException {
        requests.add(new Request("hub", ex.getRequestMethod(), ex.getRequestURI().getPath(),
                Map.copyOf(ex.getRequestHeaders())));
        String path = ex.getRequestURI().getPath();
        if (path.startsWith("/api/models/") && path.contains("/paths-info/")) {
            pathsInfo(ex, path);
            return;
        }
        if (path.startsWith("/api/models/") && path.contains("/revision/")) {
            revision(ex, path);
            return;
        }
        String[] parts = path.substring(1).split("/", 5);
        if (parts.length < 5 || !parts[2].equals("resolve")) {
            ex.sendResponseHeaders(404, -1);
            ex.close();
            return;
        }
        String repo = parts[0] + "/" + parts[1];
        String key = repo + "/" + parts[4];
        if (gated && ex.getRequestHeaders().getFirst("Authorization") == null) {
            ex.getResponseHeaders().set("X-Error-Code", "GatedRepo");
            ex.sendResponseHeaders(401, -1);
        } else if (files.keySet().stream().noneMatch(k -> k.startsWith(repo + "/"))) {
            ex.getResponseHeaders().set("X-Error-Code", "RepoNotFound");
            ex.sendResponseHeaders(404, -1);
        } else if (!parts[3].equals("main") && !parts[3].equals(COMMIT)) {
            ex.getResponseHeaders().set("X-Error-Code", "RevisionNotFound");
            ex.sendResponseHeaders(404, -1);
        } else if (!files.containsKey(key)) {
            ex.getResponseHeaders().set("X-Error-Code", "EntryNotFound");
            ex.sendResponseHeaders(404, -1);
        } else {
            byte[] bytes = files.get(key);
            ex.getResponseHeaders().set("X-Repo-Commit", COMMIT);
            ex.getResponseHeaders().set("X-Linked-Etag", "\"" + claimedSha.getOrDefault(key, sha256(bytes)) + "\"");
            ex.getResponseHeaders().set("X-Linked-Size", Integer.toString(bytes.length));
            ex.getResponseHeaders().set("Location", "http://127.0.0.1:" + cdn.getAddress().getPort() + "/blobs/" + key);
            ex.sendResponseHeaders(302, -1);
        }
        ex.close();
    }

    /**
     * The Hub's {@code GET /api/models/ORG/REPO/revision/REVISION?blobs=true}: the commit ({@code sha}) and the
     * repository's files ({@code siblings}) with their sizes and LFS ids; 401 when gated, 404 with the Hub's
     * {@code X-Error-Code} for an unknown repository or revision.
     */
    private void revision(HttpExchange ex, String path) throws IOException {
        String repo = path.substring("/api/models/".length(), path.indexOf("/revision/"));
        String revision = path.substring(path.indexOf("/revision/") + "/revision/".length());
        List<String> inRepo = files.keySet().stream().filter(k -> k.startsWith(repo + "/")).sorted().toList();
        if (gated && ex.getRequestHeaders().getFirst("Authorization") == null) {
            ex.getResponseHeaders().set("X-Error-Code", "GatedRepo");
            ex.sendResponseHeaders(401, -1);
        } else if (inRepo.isEmpty()) {
            ex.getResponseHeaders().set("X-Error-Code", "RepoNotFound");
            ex.sendResponseHeaders(404, -1);
        } else if (!revision.equals("main") && !revision.equals(COMMIT)) {
            ex.getResponseHeaders().set("X-Error-Code", "RevisionNotFound");
            ex.sendResponseHeaders(404, -1);
        } else {
            ObjectNode answer = JsonMapper.shared().createObjectNode().put("id", repo).put("sha", COMMIT);
            ArrayNode siblings = answer.putArray("siblings");
            for (String key : inRepo) {
                byte[] bytes = files.get(key);
                ObjectNode sibling = siblings.addObject().put("rfilename", key.substring(repo.length() + 1))
                        .put("size", bytes.length);
                sibling.putObject("lfs").put("sha256", sha256(bytes)).put("size", bytes.length)
                        .put("pointerSize", 134);
            }
            byte[] json = answer.toString().getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(200, json.length);
            ex.getResponseBody().write(json);
        }
        ex.close();
    }

    /**
     * The Hub's {@code POST /api/models/ORG/REPO/paths-info/REVISION} (what huggingface.js asks before a download):
     * each file's git and LFS ids, size, and the last commit that touched it (here the repository's one commit).
     */
    private void pathsInfo(HttpExchange ex, String path) throws IOException {
        String repo = path.substring("/api/models/".length(), path.indexOf("/paths-info/"));
        JsonNode body = JsonMapper.shared().readTree(ex.getRequestBody().readAllBytes());
        ArrayNode answer = JsonMapper.shared().createArrayNode();
        for (JsonNode wanted : body.path("paths")) {
            byte[] bytes = files.get(repo + "/" + wanted.asString());
            if (bytes == null) {
                continue;
            }
            ObjectNode entry = answer.addObject().put("type", "file").put("path", wanted.asString())
                    .put("oid", sha256(wanted.asString().getBytes(StandardCharsets.UTF_8)).substring(0, 40))
                    .put("size", bytes.length);
            entry.putObject("lfs").put("oid", sha256(bytes)).put("size", bytes.length).put("pointerSize", 134);
            entry.putObject("lastCommit").put("id", COMMIT).put("title", "Upload").put("date",
                    "2026-11-30T12:00:00.000Z");
        }
        byte[] json = answer.toString().getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(200, json.length);
        ex.getResponseBody().write(json);
        ex.close();
    }

    private void cdn(HttpExchange ex) throws IOException {
        requests.add(new Request("cdn", ex.getRequestMethod(), ex.getRequestURI().getPath(),
                Map.copyOf(ex.getRequestHeaders())));
        byte[] bytes = files.get(ex.getRequestURI().getPath().substring("/blobs/".length()));
        if (bytes == null) {
            ex.sendResponseHeaders(404, -1);
            ex.close();
            return;
        }
        int from = 0;
        int to = bytes.length - 1;
        String range = ex.getRequestHeaders().getFirst("Range");
        if (range != null && range.startsWith("bytes=")) {
            String[] ends = range.substring(6).split("-", -1);
            from = Integer.parseInt(ends[0]);
            to = ends[1].isEmpty() ? to : Math.min(to, Integer.parseInt(ends[1]));
            ex.getResponseHeaders().set("Content-Range", "bytes " + from + "-" + to + "/" + bytes.length);
        }
        ex.getResponseHeaders().set("ETag", "\"" + sha256(bytes) + "\"");
        int length = to + 1 - from;
        ex.sendResponseHeaders(range != null ? 206 : 200, length);
        OutputStream out = ex.getResponseBody();
        if (stallsLeft > 0) {
            stallsLeft--;
            out.write(bytes, from, length / 2);
            out.flush();
            try {
                Thread.sleep(120_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            throw new IOException("stalled on purpose");
        }
        if (cutsLeft > 0) {
            cutsLeft--;
            out.write(bytes, from, length / 2);
            out.flush();
            throw new IOException("cut on purpose");
        }
        out.write(bytes, from, length);
        out.close();
    }

    @Override
    public void close() {
        hub.stop(0);
        cdn.stop(0);
    }
}
