package dev.locallm.error;

import java.util.List;

/**
 * Output that had to be JSON (of a schema) is not: it does not parse, does not validate, or cannot be mapped
 * to the requested Java type. Carries the raw text, every attempt's text and what is wrong with it. With
 * constrained decoding on a local backend this happens only when output is cut short
 * ({@link TruncatedOutputException}), or when an assertion left to validation still failed after the reply was
 * sampled again.
 */
public class StructuredOutputException extends LocalLmException {
    private static final long serialVersionUID = 1L;

    /** The output as generated. */
    private final String rawText;
    /** What is wrong with it. */
    private final List<String> errors;
    /** Every attempt's text, the last one included. */
    private final List<String> attempts;
    /** The message without the errors. */
    private final String summary;

    /**
     * @param message what is wrong
     * @param rawText the output as generated
     * @param errors the validation errors, one per line
     */
    public StructuredOutputException(String message, String rawText, List<String> errors) {
        this(message, rawText, errors, List.of(rawText));
    }

    /**
     * @param message what is wrong
     * @param rawText the last attempt's output
     * @param errors the last attempt's validation errors, one per line
     * @param attempts every attempt's output, in order, the last one ({@code rawText}) included
     */
    public StructuredOutputException(String message, String rawText, List<String> errors, List<String> attempts) {
        super(message + (errors.isEmpty() ? "" : ": " + String.join("; ", errors))
                + (attempts.size() > 1 ? " (after " + attempts.size() + " attempts)" : ""));
        this.summary = message;
        this.rawText = rawText;
        this.errors = List.copyOf(errors);
        this.attempts = List.copyOf(attempts);
    }

    /** The same failure, after {@code attempts} (the texts of all attempts, this one's last). */
    public StructuredOutputException afterAttempts(List<String> attempts) {
        return new StructuredOutputException(summary, rawText, errors, attempts);
    }

    /** The text the model produced. */
    public String rawText() {
        return rawText;
    }

    /**
     * The text of every attempt, in order, when the reply was sampled again or re-asked after failing validation;
     * otherwise just {@link #rawText()}.
     */
    public List<String> attempts() {
        return attempts;
    }

    /** What is wrong with it, as the validator or parser said. */
    public List<String> errors() {
        return errors;
    }
}
