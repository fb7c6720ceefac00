/**
 * Implementation of the public API around backend engines. Not API: may change in any release.
 */
package dev.locallm.internal;
