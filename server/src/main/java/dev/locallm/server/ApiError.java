package dev.locallm.server;

import dev.locallm.openai.ErrorBody;

/**
 * An error answered in the OpenAI format: an HTTP status and an {@link ErrorBody}. Thrown inside the handler and
 * answered by it. Immutable.
 */
final class ApiError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    final int status;
    final transient ErrorBody body;

    ApiError(int status, ErrorBody body) {
        super(body.message(), null, false, false);
        this.status = status;
        this.body = body;
    }

    ApiError(int status, String type, String message, String param, String code) {
        this(status, ErrorBody.builder(type, message).param(param).code(code).build());
    }

    /** 400: the request is wrong. */
    static ApiError invalid(String message, String param) {
        return new ApiError(400, "invalid_request_error", message, param, null);
    }

    static ApiError invalid(String message, String param, String code) {
        return new ApiError(400, "invalid_request_error", message, param, code);
    }
}
