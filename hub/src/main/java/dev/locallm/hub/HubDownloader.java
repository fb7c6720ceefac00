package dev.locallm.hub;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Downloads one file from the Hugging Face Hub into a {@link HubCache}, the way {@code huggingface_hub} does: a
 * {@code HEAD} of {@code ENDPOINT/REPO/resolve/REVISION/FILE} gives the commit ({@code X-Repo-Commit}), the blob's
 * ETag ({@code X-Linked-Etag} or {@code ETag}: the sha256 of an LFS file), its size and, for LFS files, a redirect
 * to the CDN, which is fetched without the token. The body goes to {@code blobs/ETAG.incomplete}, continued with a
 * {@code Range} request after a cut, checked against the size and the sha256, then moved into place in one step,
 * so a reader never sees half a file; a lock file keeps two processes (and a lock two threads) from downloading
 * the same blob at once. Thread-safe.
 */
final class HubDownloader {
    private static final Logger LOG = LoggerFactory.getLogger(HubDownloader.class);
    private static final int ATTEMPTS = 3;
    /** Bytes between two progress reports. */
    private static final long PROGRESS_STEP = 1 << 20;
    private static final Map<Path, ReentrantLock> IN_PROCESS = new ConcurrentHashMap<>();
    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "locallm-hub-watchdog");
        t.setDaemon(true);
        return t;
    });

    private final URI endpoint;
    private final String token;
    private final HubCache cache;
    private final HttpClient client;
    private final Duration timeout;

    /**
     * @param timeout how long the Hub may take to answer, and a download may go without a byte
     *                ({@code HF_HUB_DOWNLOAD_TIMEOUT}, as {@code huggingface_hub} names it)
     */
    HubDownloader(URI endpoint, String token, HubCache cache, Duration timeout) {
        this.endpoint = endpoint;
        this.token = token;
        this.cache = cache;
        this.timeout = timeout;
        this.client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).connectTimeout(timeout)
                .build();
    }

    /** What the Hub says of a file: where its bytes are, and what they must be. */
    private record Metadata(String commit, String etag, long size, URI location) { }

    /**
     * The file in the cache, downloaded first when it is not there.
     *
     * @throws ModelDownloadException when the Hub refuses it, the network or the disk fails, or it does not match
     */
    Path fetch(HubName name, DownloadListener listener) {
        Metadata meta;
        try {
            meta = metadata(name);
        } catch (IOException e) {
            return cachedWhenUnreachable(name, null, e);
        }
        Path snapshot = cache.snapshot(name.repo(), meta.commit(), name.file());
        if (!Files.isRegularFile(snapshot)) {
            Path blob = cache.blob(name.repo(), meta.etag());
            if (!Files.isRegularFile(blob)) {
                download(name, meta, blob, listener);
            }
            link(snapshot, blob);
        }
        if (!name.revisionIsCommit()) {
            writeRef(name, meta.commit());
        }
        return snapshot;
    }

    /** What the cache holds for a name when the Hub cannot be reached (with a warning); else why neither serves. */
    private Path cachedWhenUnreachable(HubName name, FileSelection selection, IOException e) {
        Optional<Path> cached = cache.cached(name, selection);
        if (cached.isPresent()) {
            LOG.warn("The Hub could not be reached ({}); using the cached {}", e.getMessage(), cached.get());
            return cached.get();
        }
        throw new ModelDownloadException("Could not reach " + endpoint + " for hf:" + name + " and it is not in "
                + "the cache at " + cache.root() + ": " + e.getMessage(), e);
    }

    private Metadata metadata(HubName name) throws IOException {
        URI resolve = endpoint.resolve("/" + name.repo() + "/resolve/" + name.revision() + "/" + name.file());
        HttpResponse<Void> head = send(HttpRequest.newBuilder(resolve).method("HEAD",
                HttpRequest.BodyPublishers.noBody()).header("Accept-Encoding", "identity").timeout(timeout), true,
                HttpResponse.BodyHandlers.discarding());
        int status = head.statusCode();
        refuseUnavailable(name, head);
        String commit = head.headers().firstValue("X-Repo-Commit").orElse(null);
        String etag = head.headers().firstValue("X-Linked-Etag").or(() -> head.headers().firstValue("ETag"))
                .map(HubDownloader::bareEtag).orElse(null);
        long size = head.headers().firstValue("X-Linked-Size").or(() -> head.headers().firstValue("Content-Length"))
                .map(Long::parseLong).orElse(-1L);
        if (commit == null || etag == null) {
            throw new ModelDownloadException("The Hub's answer for hf:" + name + " has no "
                    + (commit == null ? "X-Repo-Commit" : "ETag") + " header; is " + endpoint + " a Hugging Face Hub?");
        }
        URI location = status / 100 == 3 ? head.headers().firstValue("Location").map(resolve::resolve).orElse(resolve)
                : resolve;
        return new Metadata(commit, etag, size, location);
    }

    /**
     * Throws what a refusal of the Hub means: 401 or 403 a gated or private repository, 404 which part of the name
     * is wrong ({@code X-Error-Code}), anything else but 2xx and 3xx an {@link IOException} (the Hub is unwell: the
     * cache may serve).
     */
    private void refuseUnavailable(HubName name, HttpResponse<?> answer) throws IOException {
        int status = answer.statusCode();
        if (status == 401 || status == 403) {
            throw new ModelDownloadException("The Hub answered " + status + " for hf:" + name + ": the repository "
                    + name.repo() + " is gated or private. " + (token == null
                    ? "Accept its terms at " + endpoint.resolve("/" + name.repo())
                            + " and set HF_TOKEN to an access token."
                    : "The token in HF_TOKEN has no access to it; accept its terms at "
                            + endpoint.resolve("/" + name.repo()) + " with that account."));
        }
        if (status == 404) {
            String code = answer.headers().firstValue("X-Error-Code").orElse("");
            String what = switch (code) {
                case "RepoNotFound" -> "there is no repository " + name.repo();
                case "RevisionNotFound" -> "the repository " + name.repo() + " has no revision '" + name.revision()
                        + "'";
                case "EntryNotFound" -> "the repository " + name.repo() + " has no file '" + name.file() + "' at "
                        + name.revision();
                default -> "the repository, the revision or the file does not exist";
            };
            throw new ModelDownloadException("The Hub has no hf:" + name + ": " + what);
        }
        if (status / 100 != 2 && status / 100 != 3) {
            throw new IOException("the Hub answered " + status);
        }
    }

    /** A repository at a revision, as the Hub lists it: its commit, and each file's path and size. */
    private record Listing(String commit, Map<String, Long> sizes) { }

    private Listing listing(HubName name) throws IOException {
        URI uri = endpoint.resolve("/api/models/" + name.repo() + "/revision/" + name.revision() + "?blobs=true");
        HttpResponse<byte[]> answer = send(HttpRequest.newBuilder(uri).header("Accept", "application/json")
                .timeout(timeout), true, HttpResponse.BodyHandlers.ofByteArray());
        refuseUnavailable(name, answer);
        JsonNode root;
        try {
            root = JsonMapper.shared().readTree(answer.body());
        } catch (JacksonException e) {
            throw new ModelDownloadException("The Hub's listing of hf:" + name + " is not JSON; is " + endpoint
                    + " a Hugging Face Hub?");
        }
        if (!root.path("sha").asString("").matches("[0-9a-f]{40}") || !root.path("siblings").isArray()) {
            throw new ModelDownloadException("The Hub's listing of hf:" + name + " has no commit (sha) or no files "
                    + "(siblings); is " + endpoint + " a Hugging Face Hub?");
        }
        Map<String, Long> sizes = new LinkedHashMap<>();
        for (JsonNode sibling : root.get("siblings")) {
            String file = sibling.path("rfilename").asString("");
            if (!HubName.isRelativePath(file)) {
                throw new ModelDownloadException("The Hub's listing of hf:" + name + " names a file outside the "
                        + "repository: '" + file + "'");
            }
            sizes.put(file, sibling.path("size").asLong(-1));
        }
        return new Listing(root.get("sha").asString(), sizes);
    }

    /**
     * A repository's files that match {@code include} (globs as {@code huggingface-cli download --include} takes
     * them), in the cache under one snapshot folder, which is returned; each downloaded first when it is not there.
     * The listener sees the bytes of all of them against their total.
     *
     * @throws ModelDownloadException when the Hub refuses the repository, no file matches, or a file fails
     */
    Path fetchRepository(HubName name, FileSelection selection, DownloadListener listener) {
        Listing listing;
        try {
            listing = listing(name);
        } catch (IOException e) {
            return cachedWhenUnreachable(name, selection, e);
        }
        List<String> wanted = listing.sizes().keySet().stream().filter(selection::matches).toList();
        if (wanted.isEmpty()) {
            throw new ModelDownloadException("No file of hf:" + name + " matches " + selection + "; its files: "
                    + listing.sizes().keySet().stream().limit(30).collect(Collectors.joining(", "))
                    + (listing.sizes().size() > 30 ? ", ..." : "") + " (choose with ?include=PATTERN,PATTERN)");
        }
        long total = wanted.stream().mapToLong(f -> Math.max(0, listing.sizes().get(f))).sum();
        long done = 0;
        for (String file : wanted) {
            long before = done;
            Path path = fetch(name.file(file, listing.commit()), (bytes, size) -> listener.progress(before + bytes,
                    total));
            try {
                done += Files.size(path);
            } catch (IOException e) {
                done += Math.max(0, listing.sizes().get(file));
            }
        }
        if (!name.revisionIsCommit()) {
            writeRef(name, listing.commit());
        }
        return cache.snapshot(name.repo(), listing.commit(), "");
    }

    /** An ETag without the quotes and weak marker the Hub puts around it. */
    private static String bareEtag(String etag) {
        String e = etag.strip();
        if (e.startsWith("W/")) {
            e = e.substring(2);
        }
        return e.replace("\"", "");
    }

    private void download(HubName name, Metadata meta, Path blob, DownloadListener listener) {
        Path lockFile = cache.lock(name.repo(), meta.etag());
        ReentrantLock local = IN_PROCESS.computeIfAbsent(lockFile.toAbsolutePath(), k -> new ReentrantLock());
        local.lock();
        try {
            Files.createDirectories(lockFile.getParent());
            Files.createDirectories(blob.getParent());
            try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock lock = channel.lock()) {
                if (Files.isRegularFile(blob)) {
                    return;
                }
                Path incomplete = blob.resolveSibling(meta.etag() + ".incomplete");
                IOException last = null;
                for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
                    try {
                        receive(meta, incomplete, listener);
                        last = null;
                        break;
                    } catch (ConnectException e) {
                        throw new ModelDownloadException("Could not reach " + meta.location().getHost()
                                + " to download hf:" + name + ": " + e.getMessage(), e);
                    } catch (IOException e) {
                        if (diskFull(e)) {
                            throw new ModelDownloadException("The disk is full: hf:" + name + " needs "
                                    + meta.size() + " bytes in " + cache.root() + " (" + e.getMessage() + ")", e);
                        }
                        last = e;
                        LOG.info("The download of hf:{} broke off after {} bytes ({}); continuing", name,
                                Files.exists(incomplete) ? Files.size(incomplete) : 0, e.getMessage());
                    }
                }
                if (last != null) {
                    throw new ModelDownloadException("The download of hf:" + name + " failed " + ATTEMPTS
                            + " times; run again to continue it (" + last.getMessage() + ")", last);
                }
                check(name, meta, incomplete);
                Files.move(incomplete, blob, StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (IOException e) {
            throw new ModelDownloadException("Could not write hf:" + name + " to " + blob + ": " + e.getMessage(), e);
        } finally {
            local.unlock();
        }
    }

    private static boolean diskFull(IOException e) {
        String message = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
        return message.contains("no space left") || message.contains("disk full");
    }

    /** Receives the body into {@code incomplete}, continuing what is there with a Range request. */
    private void receive(Metadata meta, Path incomplete, DownloadListener listener) throws IOException {
        long have = Files.exists(incomplete) ? Files.size(incomplete) : 0;
        if (meta.size() >= 0 && have == meta.size()) {
            return;
        }
        HttpRequest.Builder get = HttpRequest.newBuilder(meta.location()).GET().timeout(timeout);
        if (have > 0) {
            get.header("Range", "bytes=" + have + "-");
        }
        HttpResponse<InputStream> response = send(get, sameHost(meta.location()),
                HttpResponse.BodyHandlers.ofInputStream());
        int status = response.statusCode();
        boolean append = status == 206;
        if (status == 416) {
            response.body().close();
            Files.deleteIfExists(incomplete);
            throw new IOException("the server refused to continue at byte " + have + "; starting again");
        }
        if (status != 200 && status != 206) {
            response.body().close();
            throw new IOException("the download answered " + status);
        }
        long done = append ? have : 0;
        InputStream in = response.body();
        AtomicLong lastByte = new AtomicLong(System.nanoTime());
        AtomicBoolean stalled = new AtomicBoolean();
        long period = Math.max(50, timeout.toMillis() / 4);
        ScheduledFuture<?> watch = WATCHDOG.scheduleAtFixedRate(() -> {
            if (System.nanoTime() - lastByte.get() > timeout.toNanos() && stalled.compareAndSet(false, true)) {
                closeQuietly(in);
            }
        }, period, period, TimeUnit.MILLISECONDS);
        try (in; OutputStream out = Files.newOutputStream(incomplete, StandardOpenOption.CREATE,
                StandardOpenOption.WRITE, append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
            byte[] buffer = new byte[1 << 16];
            long reported = done;
            listener.progress(done, meta.size());
            for (int n; (n = in.read(buffer)) > 0; ) {
                lastByte.set(System.nanoTime());
                out.write(buffer, 0, n);
                done += n;
                if (done - reported >= PROGRESS_STEP) {
                    listener.progress(done, meta.size());
                    reported = done;
                }
            }
            listener.progress(done, meta.size());
        } catch (IOException e) {
            throw stalled.get() ? new IOException("no data for " + timeout.toSeconds() + " s", e) : e;
        } finally {
            watch.cancel(false);
        }
        if (stalled.get()) {
            throw new IOException("no data for " + timeout.toSeconds() + " s");
        }
        if (meta.size() >= 0 && Files.size(incomplete) < meta.size()) {
            throw new IOException("the connection ended after " + Files.size(incomplete) + " of " + meta.size()
                    + " bytes");
        }
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException e) {
            // the read that was waiting fails, which is the point
        }
    }

    /** The size and, for an LFS file (a 64-digit ETag), the sha256; a mismatch removes the file. */
    private static void check(HubName name, Metadata meta, Path incomplete) throws IOException {
        long size = Files.size(incomplete);
        String problem = null;
        if (meta.size() >= 0 && size != meta.size()) {
            problem = size + " bytes instead of " + meta.size();
        } else if (meta.etag().matches("[0-9a-f]{64}")) {
            String sha256 = sha256(incomplete);
            if (!sha256.equals(meta.etag())) {
                problem = "sha256 " + sha256 + " instead of " + meta.etag();
            }
        }
        if (problem != null) {
            Files.deleteIfExists(incomplete);
            throw new ModelDownloadException("The download of hf:" + name + " does not match the Hub's checksum ("
                    + problem + "); it was removed. Run again to download it anew.");
        }
    }

    private static String sha256(Path file) throws IOException {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            try (InputStream in = Files.newInputStream(file)) {
                for (int n; (n = in.read(buffer)) > 0; ) {
                    digest.update(buffer, 0, n);
                }
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /** Whether a URI is on the Hub itself: only then does the token go with the request. */
    private boolean sameHost(URI uri) {
        return endpoint.getHost().equalsIgnoreCase(uri.getHost()) && endpoint.getPort() == uri.getPort()
                && endpoint.getScheme().equalsIgnoreCase(uri.getScheme());
    }

    private <T> HttpResponse<T> send(HttpRequest.Builder request, boolean withToken,
            HttpResponse.BodyHandler<T> handler) throws IOException {
        request.header("User-Agent", "LocaLLM");
        if (withToken && token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        try {
            return client.send(request.build(), handler);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** {@code snapshots/COMMIT/FILE} as a relative link to the blob; a copy where links cannot be made. */
    private static void link(Path snapshot, Path blob) {
        try {
            Files.createDirectories(snapshot.getParent());
            Path relative = snapshot.getParent().relativize(blob);
            try {
                Files.deleteIfExists(snapshot);
                Files.createSymbolicLink(snapshot, relative);
            } catch (UnsupportedOperationException | FileSystemException e) {
                Files.copy(blob, snapshot, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new ModelDownloadException("Could not place " + snapshot + " in the cache: " + e.getMessage(), e);
        }
    }

    private void writeRef(HubName name, String commit) {
        Path ref = cache.ref(name.repo(), name.revision());
        try {
            Files.createDirectories(ref.getParent());
            Path tmp = Files.createTempFile(ref.getParent(), ".ref", ".tmp");
            Files.writeString(tmp, commit, StandardCharsets.UTF_8);
            Files.move(tmp, ref, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            LOG.warn("Could not record that {} is commit {}: {}", name.revision(), commit, e.getMessage());
        }
    }
}
