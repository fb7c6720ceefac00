package dev.locallm.error;

/**
 * A JSON schema uses a keyword, or a combination, that LocaLLM cannot enforce while generating. Raised when the
 * schema is compiled, before any generation: nothing is ever silently ignored. {@link #keyword()} and
 * {@link #pointer()} say where.
 */
public class UnsupportedSchemaException extends InvalidRequestException {
    private static final long serialVersionUID = 1L;

    private final String keyword;
    private final String pointer;
    private final String reason;

    public UnsupportedSchemaException(String keyword, String pointer, String reason) {
        super("Unsupported JSON schema keyword '" + keyword + "' at " + pointer + ": " + reason, "response_format");
        this.keyword = keyword;
        this.pointer = pointer;
        this.reason = reason;
    }

    /** The keyword at fault, such as {@code uniqueItems}. */
    public String keyword() {
        return keyword;
    }

    /** JSON pointer of the schema object holding it, such as {@code #/properties/tags}. */
    public String pointer() {
        return pointer;
    }

    /** Why it cannot be enforced. */
    public String reason() {
        return reason;
    }
}
