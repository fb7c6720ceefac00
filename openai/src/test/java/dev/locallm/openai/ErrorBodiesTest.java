package dev.locallm.openai;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Error bodies of every server family read into the same shape; a context-length error's numbers are data. */
class ErrorBodiesTest {

    @Test
    void aContextLengthErrorCarriesItsNumbersAsFields() {
        ErrorBody written = ErrorBody.builder("invalid_request_error", "too long").param("messages")
                .code(ErrorBody.CONTEXT_LENGTH_EXCEEDED).contextLength(3000, 2048, 100).build();
        String json = ErrorBodies.write(written).toString();
        assertThat(json).contains("\"n_prompt_tokens\":3000").contains("\"n_ctx\":2048").contains("\"max_tokens\":100");

        ErrorBody read = read(json);
        assertThat(read.isContextLengthExceeded()).isTrue();
        assertThat(read.promptTokens()).hasValue(3000);
        assertThat(read.contextLength()).hasValue(2048);
        assertThat(read.maxTokens()).hasValue(100);
        assertThat(read.code()).hasValue(ErrorBody.CONTEXT_LENGTH_EXCEEDED);
        assertThat(read.param()).hasValue("messages");
    }

    @Test
    void eachFamilysShapeReads() {
        assertThat(read("{\"error\":\"model not found\"}").message()).isEqualTo("model not found");
        assertThat(read("{\"detail\":[{\"loc\":[\"body\"],\"msg\":\"field required\"}]}").message())
                .isEqualTo("field required");
        ErrorBody vllm = read("{\"object\":\"error\",\"message\":\"bad\",\"type\":\"BadRequestError\",\"code\":400}");
        assertThat(vllm.message()).isEqualTo("bad");
        assertThat(vllm.code()).hasValue("400");
        assertThat(read("upstream timed out").message()).isEqualTo("upstream timed out");
        assertThat(read("").message()).isEqualTo("(no body)");
        assertThat(read("{\"error\":{\"code\":400,\"message\":\"exceeds\",\"type\":\"exceed_context_size_error\","
                + "\"n_prompt_tokens\":2000,\"n_ctx\":1024}}").contextLength()).hasValue(1024);
    }

    private static ErrorBody read(String body) {
        return ErrorBodies.read(body.getBytes(StandardCharsets.UTF_8));
    }
}
