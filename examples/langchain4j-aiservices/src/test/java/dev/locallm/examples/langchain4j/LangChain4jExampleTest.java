package dev.locallm.examples.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.model.output.FinishReason;
import dev.locallm.ChatModel;
import dev.locallm.LocalLm;
import dev.locallm.testkit.TestModels;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The example, run on the shared stories260K model: each use produces what it shows. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LangChain4jExampleTest {

    @Test
    void eachUseProducesWhatItShows() throws Exception {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        LangChain4jExample.Report report;
        try (ChatModel model = LocalLm.chatModel("gguf:" + TestModels.require(TestModels.STORIES_CHATML)
                + "?threads=1&ctx=1024")) {
            report = LangChain4jExample.run(model, new PrintStream(printed, true, StandardCharsets.UTF_8));
        }

        assertThat(report.chat()).isNotBlank();
        assertThat(report.person()).isNotNull();
        assertThat(report.booked()).as("the forced call ran the tool once").hasSize(1);
        assertThat(report.booking().toolExecutions()).singleElement()
                .satisfies(e -> assertThat(e.result()).isEqualTo("booked " + report.booked().get(0)));
        assertThat(report.streamed()).isNotEmpty().isEqualTo(report.streamResponse().aiMessage().text());
        assertThat(report.streamResponse().tokenUsage().outputTokenCount()).isBetween(1, 32);
        assertThat(report.streamResponse().finishReason()).isIn(FinishReason.STOP, FinishReason.LENGTH);
        assertThat(printed.toString(StandardCharsets.UTF_8)).contains("chat: ", "record: ", "tool: book([");
    }
}
