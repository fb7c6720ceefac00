package dev.locallm.engine.grammar;

import dev.locallm.error.GenerationException;

/**
 * A grammar that cannot be built or used: an undefined, left-recursive or endless rule, or one too ambiguous to
 * follow. Compilers turn build failures into {@link dev.locallm.error.UnsupportedSchemaException}; a failure
 * while generating reaches the caller as a {@link GenerationException}.
 */
final class GrammarException extends GenerationException {
    private static final long serialVersionUID = 1L;

    GrammarException(String message) {
        super(message);
    }
}
