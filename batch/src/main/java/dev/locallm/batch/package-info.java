/**
 * Batch inference in the OpenAI Batch API's file format: {@link dev.locallm.batch.BatchJob} reads a JSONL file of
 * requests ({@code custom_id}, {@code method}, {@code url}, {@code body}) and appends one result line per
 * {@code custom_id} to an output file, resuming where an interrupted run stopped.
 */
package dev.locallm.batch;
