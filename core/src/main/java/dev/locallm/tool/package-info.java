/**
 * Tools in requests and responses: {@link dev.locallm.tool.ToolSpec} and {@link dev.locallm.tool.ToolChoice} for
 * requests, {@link dev.locallm.tool.ToolCall} and {@link dev.locallm.tool.ToolCallDelta} in responses, and the
 * {@link dev.locallm.tool.Tool} annotation that {@code dev.locallm.agent.ToolMethods} reads. Parameters and return
 * values are non-null unless documented otherwise.
 */
package dev.locallm.tool;
