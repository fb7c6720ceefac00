/**
 * JSON schemas for structured output: {@link dev.locallm.schema.JsonSchema} from text or from Java types, and
 * validation of generated JSON against them. Parameters and return values are non-null unless documented
 * otherwise.
 */
package dev.locallm.schema;
