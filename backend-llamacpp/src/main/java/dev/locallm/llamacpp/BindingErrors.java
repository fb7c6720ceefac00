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

    /**
     * Whether {@code e} is llama.cpp failing a batch because no contiguous run of KV cells was free (its server
     * then fails the tasks of every slot with this message).
     */
    static boolean isFullCache(RuntimeException e) {
        return isNative(e) && e.getMessage() != null && e.getMessage().contains("compared to KV size");
    }
}
