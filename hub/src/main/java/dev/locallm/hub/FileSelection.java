package dev.locallm.hub;

import dev.locallm.error.InvalidRequestException;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Which files of a repository a model folder takes: the {@code include} parameter's patterns, matched as
 * {@code huggingface-cli download --include} matches them (Python's {@code fnmatch}: {@code *} matches any characters,
 * {@code /} included; {@code ?} one; {@code [seq]} and {@code [!seq]} a set), or by default the top-level files a
 * backend reads from a model folder. Immutable.
 */
final class FileSelection {
    /** The default: configuration, tokenizer and ONNX files at the top of the repository. */
    static final List<String> MODEL_FOLDER_FILES = List.of("*.json", "*.onnx", "*.onnx.data", "*.onnx_data",
            "*.txt", "*.model", "*.tiktoken", "*.jinja");
    static final FileSelection MODEL_FOLDER = new FileSelection(MODEL_FOLDER_FILES, true);

    private final List<String> patterns;
    private final List<Pattern> regexes;
    private final boolean topLevelOnly;

    private FileSelection(List<String> patterns, boolean topLevelOnly) {
        this.patterns = List.copyOf(patterns);
        this.regexes = patterns.stream().map(FileSelection::regex).toList();
        this.topLevelOnly = topLevelOnly;
    }

    /**
     * The selection an {@code include} parameter names (comma-separated patterns); the default when it is absent.
     *
     * @throws InvalidRequestException when it names no pattern
     */
    static FileSelection of(String include) {
        if (include == null) {
            return MODEL_FOLDER;
        }
        List<String> patterns = Arrays.stream(include.split(",")).map(String::strip).filter(p -> !p.isEmpty())
                .toList();
        if (patterns.isEmpty()) {
            throw new InvalidRequestException("'include' names no file pattern", "include");
        }
        return new FileSelection(patterns, false);
    }

    /** Whether a file, by its path in the repository ({@code /}-separated), is selected. */
    boolean matches(String path) {
        return !(topLevelOnly && path.contains("/")) && regexes.stream().anyMatch(r -> r.matcher(path).matches());
    }

    private static Pattern regex(String glob) {
        StringBuilder re = new StringBuilder();
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            int close = c == '[' ? glob.indexOf(']', i + 2) : -1;
            if (c == '*') {
                re.append(".*");
            } else if (c == '?') {
                re.append('.');
            } else if (close > 0) {
                String set = glob.substring(i + 1, close);
                re.append('[');
                if (set.startsWith("!")) {
                    re.append('^');
                    set = set.substring(1);
                }
                for (char s : set.toCharArray()) {
                    re.append(s == '-' || Character.isLetterOrDigit(s) ? String.valueOf(s) : "\\" + s);
                }
                re.append(']');
                i = close;
            } else {
                re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(re.toString(), Pattern.DOTALL);
    }

    @Override
    public String toString() {
        return String.join(",", patterns) + (topLevelOnly ? " (top level)" : "");
    }
}
