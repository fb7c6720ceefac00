/**
 * The LocaLLM exception tree, rooted at the unchecked {@link dev.locallm.error.LocalLmException}.
 * Parameters and return values are non-null unless documented otherwise.
 */
package dev.locallm.error;
