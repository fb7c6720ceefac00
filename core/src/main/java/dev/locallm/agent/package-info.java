/**
 * Tools as Java methods and the loop that runs them: {@link dev.locallm.agent.ToolMethods} turns
 * {@link dev.locallm.tool.Tool}-annotated methods into tool specs and executes the calls a model makes;
 * {@link dev.locallm.agent.ToolLoop} asks, executes and asks again until the model answers. Parameters and return
 * values are non-null unless documented otherwise.
 */
package dev.locallm.agent;
