package dev.locallm.batch;

import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
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
 * The output of a batch job: what an earlier run wrote (the {@code custom_id}s answered, and the input lines
 * reported without one), and appending new result lines, one write and flush each. Opening it cuts off a torn last
 * line (a process killed while writing), so appending always starts on a line of its own. Thread-safe.
 */
final class ResultsFile implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ResultsFile.class);

    private final Path path;
    private final Set<String> answered = new HashSet<>();
    private final Set<Long> reportedLines = new HashSet<>();
    private final OutputStream out;

    private ResultsFile(Path path) throws IOException {
        this.path = path;
        if (Files.exists(path)) {
            cutTornLine();
            readAnswered();
        }
        Path parent = path.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        this.out = Files.newOutputStream(path, StandardOpenOption.CREATE, StandardOpenOption.APPEND,
                StandardOpenOption.WRITE);
    }

    static ResultsFile open(Path path) {
        try {
            return new ResultsFile(path);
        } catch (IOException | UncheckedIOException e) {
            throw new BatchException("Cannot read or open the batch output " + path + ": " + e.getMessage(), e);
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

    /** Appends one result line and flushes it to the operating system. */
    synchronized void append(ObjectNode result) {
        byte[] line = (JsonMapper.shared().writeValueAsString(result) + "\n").getBytes(StandardCharsets.UTF_8);
        try {
            out.write(line);
            out.flush();
        } catch (IOException e) {
            throw new BatchException("Cannot write to the batch output " + path + ": " + e.getMessage(), e);
        }
    }

    private void cutTornLine() throws IOException {
        try (RandomAccessFile file = new RandomAccessFile(path.toFile(), "rw")) {
            long length = file.length();
            long end = length;
            while (end > 0) {
                file.seek(end - 1);
                if (file.read() == '\n') {
                    break;
                }
                end--;
            }
            if (end < length) {
                LOG.warn("The last line of {} was cut off ({} bytes, a run that stopped while writing); "
                        + "its request runs again", path, length - end);
                file.setLength(end);
            }
        }
    }

    private void readAnswered() throws IOException {
        long number = 0;
        try (var lines = Files.lines(path, StandardCharsets.UTF_8)) {
            for (String line : (Iterable<String>) lines::iterator) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                JsonNode result = parse(line, number);
                JsonNode id = result.get("custom_id");
                if (id != null && id.isString()) {
                    answered.add(id.asString());
                } else if (result.path("error").path("line").canConvertToLong()) {
                    reportedLines.add(result.path("error").path("line").asLong());
                } else {
                    throw notResults(number, "it has neither a custom_id nor an error with the input line");
                }
            }
        }
    }

    private JsonNode parse(String line, long number) {
        try {
            JsonNode result = JsonMapper.shared().readTree(line);
            if (result != null && result.isObject()) {
                return result;
            }
        } catch (JacksonException e) {
            throw notResults(number, "it is not JSON");
        }
        throw notResults(number, "it is not a JSON object");
    }

    private BatchException notResults(long number, String why) {
        return new BatchException("The batch output " + path + " is not a results file (line " + number + ": " + why
                + "); give an output file of its own, or remove it to start again");
    }

    @Override
    public synchronized void close() {
        try {
            out.close();
        } catch (IOException e) {
            throw new BatchException("Cannot close the batch output " + path + ": " + e.getMessage(), e);
        }
    }
}
