/**
 * Chat templates: a small Jinja engine with Python semantics, bounded in time and size, that renders the
 * templates shipped in model metadata. Parameters and return values are non-null unless documented otherwise.
 */
package dev.locallm.template;
