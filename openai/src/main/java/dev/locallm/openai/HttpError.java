package dev.locallm.openai;

import dev.locallm.error.ContextLengthExceededException;
import dev.locallm.error.GenerationCancelledException;
import dev.locallm.error.InvalidRequestException;
import dev.locallm.error.LocalLmException;
import dev.locallm.error.ModelBusyException;
import dev.locallm.error.ModelUnavailableException;
import dev.locallm.error.StructuredOutputException;
import dev.locallm.error.TruncatedOutputException;
import dev.locallm.error.UnsupportedSchemaException;

/**
 * An error as the OpenAI API answers it: an HTTP status and an {@link ErrorBody}. {@link #of} maps LocaLLM's
 * exceptions the one way the server and the batch runner answer them. Immutable.
 *
 * @param status the HTTP status: 4xx when the request is the cause, 503 when the model is busy, cancelled, closed
 *     or unreachable, 500 otherwise
 * @param body the error body
 */
public record HttpError(int status, ErrorBody body) {

    /**
     * The status and body that answer a failed request: the request's own faults (bad parameters, a prompt that
     * does not fit, an unsupported schema, output cut short) as 400 with the parameter and code; a busy, cancelled,
     * closed or unreachable model as 503; a model whose output broke the requested format, and anything else, as
     * 500 (with the message of a {@link LocalLmException}, only the class name of anything else).
     */
    public static HttpError of(RuntimeException e) {
        if (e instanceof ContextLengthExceededException c) {
            return new HttpError(400, ErrorBody.builder("invalid_request_error", c.getMessage()).param("messages")
                    .code(ErrorBody.CONTEXT_LENGTH_EXCEEDED)
                    .contextLength(c.promptTokens(), c.contextLength(), c.requestedCompletionTokens()).build());
        }
        if (e instanceof TruncatedOutputException t) {
            return invalid(t.getMessage() + "; raise max_completion_tokens, or send \"truncation\": "
                    + "\"close_json\" to have it closed", "max_completion_tokens", "output_truncated");
        }
        if (e instanceof StructuredOutputException s) {
            return serverError(500, s.getMessage() + ": " + s.errors(), "invalid_model_output");
        }
        if (e instanceof UnsupportedSchemaException u) {
            return new HttpError(400, ErrorBody.builder("invalid_request_error", u.getMessage())
                    .param(u.parameter().isEmpty() ? "response_format" : u.parameter())
                    .code(ErrorBody.UNSUPPORTED_SCHEMA)
                    .unsupportedSchema(u.keyword(), u.pointer(), u.reason()).build());
        }
        if (e instanceof InvalidRequestException i) {
            return invalid(i.getMessage(), i.parameter().isEmpty() ? null : i.parameter(), null);
        }
        if (e instanceof IllegalStateException) {
            return serverError(503, "The model is not available: " + e.getMessage(), null);
        }
        if (e instanceof ModelBusyException) {
            return serverError(503, e.getMessage(), "overloaded");
        }
        if (e instanceof ModelUnavailableException) {
            return serverError(503, e.getMessage(), "model_unavailable");
        }
        if (e instanceof GenerationCancelledException) {
            return serverError(503, e.getMessage(), "cancelled");
        }
        return serverError(500, e instanceof LocalLmException ? e.getMessage()
                : "Internal error: " + e.getClass().getSimpleName(), null);
    }

    /** 400 {@code invalid_request_error}. */
    public static HttpError invalid(String message, String param, String code) {
        return new HttpError(400, ErrorBody.builder("invalid_request_error", message).param(param).code(code).build());
    }

    private static HttpError serverError(int status, String message, String code) {
        return new HttpError(status, ErrorBody.builder("server_error", message).code(code).build());
    }
}
