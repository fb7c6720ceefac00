/**
 * LocaLLM as a LangChain4j provider: {@link dev.locallm.langchain4j.LocalLmChatModel},
 * {@link dev.locallm.langchain4j.LocalLmStreamingChatModel} and {@link dev.locallm.langchain4j.LocalLmEmbeddingModel}
 * run any LocaLLM model (in-process llama.cpp by default) behind LangChain4j's interfaces, {@code AiServices}
 * included, with tool calls and JSON-schema output enforced while the model generates.
 */
package dev.locallm.langchain4j;
