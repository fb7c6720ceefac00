/**
 * Immutable value types of a chat: requests, messages, options and responses.
 * Parameters and return values are non-null unless documented otherwise.
 */
package dev.locallm.chat;
