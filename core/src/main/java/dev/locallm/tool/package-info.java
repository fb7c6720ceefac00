/**
 * Tool calling: the calls a model makes. Parameters and return values are non-null unless documented
 * otherwise.
 */
package dev.locallm.tool;
