package dev.locallm.spi;

/**
 * Typed, backend-specific load options, such as {@code LlamaCppOptions}. Each backend defines one immutable
 * implementation and accepts only its own; passing another backend's options is an error.
 */
public interface BackendOptions {
}
