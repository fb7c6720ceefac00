/**
 * The llama.cpp backend: GGUF models run in-process through {@code de.kherud:llama}. Use it through
 * {@link dev.locallm.LocalLm} with a {@code gguf:} URI; tune it with {@link dev.locallm.llamacpp.LlamaCppOptions}.
 * Parameters and return values are non-null unless documented otherwise.
 */
package dev.locallm.llamacpp;
