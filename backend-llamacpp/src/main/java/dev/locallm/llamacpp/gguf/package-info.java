/**
 * Reading, validating and writing GGUF files in Java, without native code.
 * Parameters and return values are non-null unless documented otherwise.
 */
package dev.locallm.llamacpp.gguf;
