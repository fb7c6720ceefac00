/**
 * Tool calling: {@link dev.locallm.tool.ToolSpec} and {@link dev.locallm.tool.ToolChoice} for requests,
 * {@link dev.locallm.tool.ToolCall} and {@link dev.locallm.tool.ToolCallDelta} in responses,
 * {@link dev.locallm.tool.ToolMethods} for tools written as annotated Java methods, and the formats models
 * write calls in. Parameters and return values are non-null unless documented otherwise.
 */
package dev.locallm.tool;
