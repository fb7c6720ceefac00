package dev.locallm.error;

/**
 * A JSON schema uses a keyword, or a combination, that LocaLLM cannot enforce while generating. Raised when the
 * schema is compiled, before any generation: nothing is ever silently ignored. {@link #keyword()} and
 * {@link #pointer()} say where.
 */
public class UnsupportedSchemaException extends InvalidRequestException {
    private static final long serialVersionUID = 1L;

    /** The keyword at fault. */
    private final String keyword;
    /** Where it is. */
    private final String pointer;
    /** Why it cannot be enforced. */
    private final String reason;

    /**
     * @param keyword the keyword at fault, such as {@code uniqueItems}
     * @param pointer JSON pointer of the schema object holding it
     * @param reason why it cannot be enforced
     */
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
