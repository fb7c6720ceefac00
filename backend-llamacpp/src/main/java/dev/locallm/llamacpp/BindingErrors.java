package dev.locallm.llamacpp;

/** Recognises the binding's package-private {@code LlamaException}. */
final class BindingErrors {
    private static final String LLAMA_EXCEPTION = "de.kherud.llama.LlamaException";

    private BindingErrors() {
    }

    /** Whether {@code e} is the binding's own exception (a native error), not a bug on our side. */
    static boolean isNative(RuntimeException e) {
        return e.getClass().getName().equals(LLAMA_EXCEPTION);
    }
}
