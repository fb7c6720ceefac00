/**
 * LocaLLM: large language models inside Java applications. Start at {@link dev.locallm.LocalLm}, then use
 * {@link dev.locallm.ChatModel} and {@link dev.locallm.EmbeddingModel}. Parameters and return values are
 * non-null unless documented otherwise.
 */
package dev.locallm;
