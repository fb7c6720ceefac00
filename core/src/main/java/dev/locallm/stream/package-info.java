/**
 * Streaming: pull with {@link dev.locallm.stream.ChatStream}, push with {@link dev.locallm.stream.StreamHandler}.
 * Parameters and return values are non-null unless documented otherwise.
 */
package dev.locallm.stream;
