package dev.locallm.template;

/** A failure while rendering, before it is translated to a public exception with its line. */
final class TemplateException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Whether the template itself raised it with {@code raise_exception}. */
    final boolean raised;

    TemplateException(String message) {
        this(message, false);
    }

    TemplateException(String message, boolean raised) {
        super(message, null, false, false);
        this.raised = raised;
    }
}
