/**
 * An OpenAI-compatible HTTP server for LocaLLM models, on Jetty 12: {@link dev.locallm.server.LocalLmServer}.
 * Any OpenAI client (the official SDKs, LangChain4j, Dify, Langflow, n8n) can call a model hosted in a Java
 * process through it.
 */
package dev.locallm.server;
