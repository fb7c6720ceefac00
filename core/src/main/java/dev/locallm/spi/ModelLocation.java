package dev.locallm.spi;

import dev.locallm.error.InvalidRequestException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Where a model is, as the user wrote it: {@code gguf:/models/m.gguf?threads=4}, {@code /models/m.gguf}
 * or {@code openai:http://127.0.0.1:8000/v1?model=m}. Immutable.
 *
 * <p>The scheme is the part before the first colon when it is at least two characters long (so
 * {@code C:\models\m.gguf} is a path); a plain path has an empty scheme. The {@link #target()} is everything
 * after the scheme's colon, and {@link #parameters()} the decoded query after its last {@code '?'}.
 */
public final class ModelLocation {
    private static final Pattern SCHEME = Pattern.compile("^([a-zA-Z][a-zA-Z0-9+.\\-]+):(.*)$", Pattern.DOTALL);

    private final String uri;
    private final String scheme;
    private final String target;
    private final String path;
    private final Map<String, String> parameters;

    private ModelLocation(String uri) {
        this.uri = uri;
        var m = SCHEME.matcher(uri);
        if (m.matches()) {
            this.scheme = m.group(1).toLowerCase(java.util.Locale.ROOT);
            this.target = m.group(2);
        } else {
            this.scheme = "";
            this.target = uri;
        }
        int q = target.lastIndexOf('?');
        this.path = q < 0 ? target : target.substring(0, q);
        this.parameters = q < 0 ? Map.of() : parseQuery(target.substring(q + 1));
    }

    /**
     * Parses a model location.
     *
     * @throws InvalidRequestException when it is blank
     */
    public static ModelLocation parse(String uri) {
        Objects.requireNonNull(uri, "uri");
        if (uri.isBlank()) {
            throw new InvalidRequestException("model location must not be blank", "model");
        }
        return new ModelLocation(uri.strip());
    }

    private static Map<String, String> parseQuery(String query) {
        Map<String, String> params = new LinkedHashMap<>();
        for (String pair : query.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String key = decode(eq < 0 ? pair : pair.substring(0, eq));
            String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
            params.put(key, value);
        }
        return Collections.unmodifiableMap(params);
    }

    private static String decode(String s) {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException("malformed query parameter in model location: " + s, "model", e);
        }
    }

    /** The location exactly as given (stripped of surrounding white space). */
    public String uri() {
        return uri;
    }

    /** The lower-case scheme, or an empty string for a plain path. */
    public String scheme() {
        return scheme;
    }

    /** Everything after the scheme's colon, query included; the whole location for a plain path. */
    public String target() {
        return target;
    }

    /** The {@link #target()} without its query. */
    public String path() {
        return path;
    }

    /**
     * A short name for the model, as servers list it: its {@code model} parameter when it has one (a remote
     * server's model), else the last segment of the {@link #path()} without a {@code .gguf} extension
     * ({@code qwen-q4_k_m} for {@code gguf:/models/qwen-q4_k_m.gguf?ctx=4096}).
     */
    public String name() {
        if (parameters.containsKey("model") && !parameters.get("model").isBlank()) {
            return parameters.get("model");
        }
        String p = path.replaceAll("[/\\\\]+$", "");
        String file = p.substring(Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\')) + 1);
        return file.toLowerCase(java.util.Locale.ROOT).endsWith(".gguf") ? file.substring(0, file.length() - 5)
                : file;
    }

    /** The decoded query parameters, in order; empty when there is no query. */
    public Map<String, String> parameters() {
        return parameters;
    }

    /**
     * A query parameter's value as a whole number, for backends that read their options from a location.
     *
     * @throws InvalidRequestException naming the parameter when the value is not a whole number
     */
    public static int wholeNumber(String key, String value) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new InvalidRequestException("model parameter '" + key + "' must be a whole number, was '" + value
                    + "'", key);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ModelLocation other && uri.equals(other.uri);
    }

    @Override
    public int hashCode() {
        return uri.hashCode();
    }

    @Override
    public String toString() {
        return uri;
    }
}
