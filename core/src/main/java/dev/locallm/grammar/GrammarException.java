package dev.locallm.grammar;

/** A grammar that cannot be built or used: an undefined, left-recursive or endless rule. */
final class GrammarException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    GrammarException(String message) {
        super(message);
    }
}
