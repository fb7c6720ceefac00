package dev.locallm.batch;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The output of a batch job, held with an exclusive lock for as long as it is open (two jobs never append to one
 * file): what an earlier run wrote (the {@code custom_id}s answered, and the input lines reported without one), and
 * appending new result lines, one write each. Opening it checks every line first and changes nothing in a file that
 * is not a results file; then a torn last line (a process killed while writing it) is cut off. A write that fails
 * is cut back, so the file never holds half a line followed by others. Thread-safe.
 */
final class ResultsFile implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ResultsFile.class);
    /** How every line this class writes starts: a line cut short is recognised by it. */
    private static final String LINE_START = "{\"id\":\"batch_req_";

    private final Path path;
    private final FileChannel channel;
    private final FileLock lock;
    private final Set<String> answered = new HashSet<>();
    private final Set<Long> reportedLines = new HashSet<>();
    /** Whether the last line is whole but has no newline yet (written by hand, say). */
    private boolean needsNewline;

    private ResultsFile(Path path, FileChannel channel, FileLock lock) {
        this.path = path;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Opens (or creates) the output, locks it, and reads what it holds.
     *
     * @throws BatchException when another job holds it, it cannot be read, or it is not a results file
     */
    static ResultsFile open(Path path) {
        FileChannel channel = null;
        try {
            Path parent = path.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                throw new BatchException("Another batch job is writing to " + path + "; wait until it ends, or give "
                        + "this one another output");
            }
            ResultsFile file = new ResultsFile(path, channel, lock);
            file.readBack();
            return file;
        } catch (IOException | RuntimeException e) {
            closeQuietly(channel);
            if (e instanceof BatchException b) {
                throw b;
            }
            throw new BatchException("Cannot open or read the batch output " + path + ": " + e.getMessage(), e);
        }
    }

    /** Whether an earlier run wrote a result for this id. */
    boolean answered(String customId) {
        return answered.contains(customId);
    }

    /** Whether an earlier run reported this input line, which has no {@code custom_id}. */
    boolean reported(long line) {
        return reportedLines.contains(line);
    }

    int answeredCount() {
        return answered.size();
    }

    /**
     * Appends one result line and hands it to the operating system (a process killed afterwards loses nothing).
     *
     * @throws BatchException when it cannot be written; the file is cut back to where it was
     */
    synchronized void append(ObjectNode result) {
        String text = (needsNewline ? "\n" : "") + JsonMapper.shared().writeValueAsString(result) + "\n";
        ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        long end = -1;
        try {
            end = channel.size();
            channel.position(end);
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
            needsNewline = false;
        } catch (IOException e) {
            if (end >= 0) {
                try {
                    channel.truncate(end);
                } catch (IOException again) {
                    e.addSuppressed(again);
                }
            }
            throw new BatchException("Cannot write to the batch output " + path + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads every line back: each must be a result line (a JSON object with {@code custom_id} and {@code response}
     * or {@code error}) except a last line without a newline that starts as this class writes lines: that one is
     * cut off unless it is whole.
     */
    private void readBack() throws IOException {
        long size = channel.size();
        if (size == 0) {
            return;
        }
        boolean endsWithNewline = lastByte() == '\n';
        BufferedReader reader = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel.position(0)),
                StandardCharsets.UTF_8));
        long number = 0;
        String line = reader.readLine();
        while (line != null) {
            String next = reader.readLine();
            number++;
            boolean last = next == null;
            if (!line.isBlank()) {
                JsonNode result = resultLine(line);
                if (result == null && last && !endsWithNewline && line.startsWith(LINE_START)) {
                    cutTornLine(size);
                    return;
                }
                if (result == null) {
                    throw new BatchException("The batch output " + path + " is not a results file (line " + number
                            + " is not a result line with custom_id and response or error); give an output file of "
                            + "its own, or remove it to start again");
                }
                remember(result);
            }
            line = next;
        }
        needsNewline = !endsWithNewline;
    }

    private int lastByte() throws IOException {
        ByteBuffer one = ByteBuffer.allocate(1);
        channel.read(one, channel.size() - 1);
        return one.get(0);
    }

    /** The result line this text is, or {@code null}. */
    private static JsonNode resultLine(String text) {
        try {
            JsonNode node = JsonMapper.shared().readTree(text);
            boolean result = node != null && node.isObject() && node.has("custom_id")
                    && (node.has("response") || node.has("error"));
            return result ? node : null;
        } catch (JacksonException e) {
            return null;
        }
    }

    private void remember(JsonNode result) {
        JsonNode id = result.get("custom_id");
        if (id.isString()) {
            answered.add(id.asString());
        } else if (result.path("error").path("line").canConvertToLong()) {
            reportedLines.add(result.path("error").path("line").asLong());
        }
    }

    private void cutTornLine(long size) throws IOException {
        long end = size;
        while (end > 0) {
            ByteBuffer one = ByteBuffer.allocate(1);
            channel.read(one, end - 1);
            if (one.get(0) == '\n') {
                break;
            }
            end--;
        }
        LOG.warn("The last line of {} was cut off ({} bytes, from a run that stopped while writing it); its request "
                + "runs again", path, size - end);
        channel.truncate(end);
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                LOG.debug("Closing {}: {}", channel, e.getMessage());
            }
        }
    }

    @Override
    public synchronized void close() {
        try {
            lock.release();
            channel.close();
        } catch (IOException e) {
            throw new BatchException("Cannot close the batch output " + path + ": " + e.getMessage(), e);
        }
    }
}
