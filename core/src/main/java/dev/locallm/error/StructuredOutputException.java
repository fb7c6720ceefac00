package dev.locallm.error;

import java.util.List;

/**
 * Output that had to be JSON (of a schema) is not: it does not parse, does not validate, or cannot be mapped
 * to the requested Java type. Carries the raw text and what is wrong with it. With constrained decoding on a
 * local backend this does not happen except when output is cut short, which {@link TruncatedOutputException}
 * reports.
 */
public class StructuredOutputException extends LocalLmException {
    private static final long serialVersionUID = 1L;

    /** The output as generated. */
    private final String rawText;
    /** What is wrong with it. */
    private final List<String> errors;

    /**
     * @param message what is wrong
     * @param rawText the output as generated
     * @param errors the validation errors, one per line
     */
    public StructuredOutputException(String message, String rawText, List<String> errors) {
        super(message + (errors.isEmpty() ? "" : ": " + String.join("; ", errors)));
        this.rawText = rawText;
        this.errors = List.copyOf(errors);
    }

    /** The text the model produced. */
    public String rawText() {
        return rawText;
    }

    /** What is wrong with it, as the validator or parser said. */
    public List<String> errors() {
        return errors;
    }
}
