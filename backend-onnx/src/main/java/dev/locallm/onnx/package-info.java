/**
 * The ONNX Runtime backend: decoder-only ONNX models run in-process through
 * {@code com.microsoft.onnxruntime:onnxruntime}, with the tokenizer, the KV cache loop and sampling in Java. Use it
 * through {@link dev.locallm.LocalLm} with an {@code onnx:} URI naming a model folder; tune it with
 * {@link dev.locallm.onnx.OnnxOptions}. Parameters and return values are non-null unless documented otherwise.
 */
package dev.locallm.onnx;
