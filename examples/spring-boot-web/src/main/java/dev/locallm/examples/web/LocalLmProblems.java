package dev.locallm.examples.web;

import dev.locallm.error.GenerationException;
import dev.locallm.error.InvalidRequestException;
import dev.locallm.error.LocalLmException;
import dev.locallm.error.ModelBusyException;
import dev.locallm.error.ModelUnavailableException;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/**
 * LocaLLM's typed errors as RFC 9457 problem details: a request the model cannot take is the client's fault (400),
 * a model that is closed or unreachable is the service's (503), anything else a 500 with LocaLLM's message.
 */
@RestControllerAdvice
public class LocalLmProblems {

    /** A request the model cannot take, naming the parameter. */
    @ExceptionHandler
    public ProblemDetail invalid(InvalidRequestException e) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, e.getMessage());
        problem.setProperty("parameter", e.parameter());
        return problem;
    }

    /** A model that cannot answer now: closed, unreachable, or all its slots and queue taken. */
    @ExceptionHandler({ModelUnavailableException.class, ModelBusyException.class})
    public ProblemDetail unavailable(GenerationException e) {
        return ProblemDetail.forStatusAndDetail(HttpStatus.SERVICE_UNAVAILABLE, e.getMessage());
    }

    /** Any other LocaLLM failure. */
    @ExceptionHandler
    public ProblemDetail failed(LocalLmException e) {
        return ProblemDetail.forStatusAndDetail(HttpStatus.INTERNAL_SERVER_ERROR, e.getMessage());
    }
}
