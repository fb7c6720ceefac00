package dev.locallm.examples.plain;

import static org.assertj.core.api.Assertions.assertThat;

import dev.locallm.ChatModel;
import dev.locallm.LocalLm;
import dev.locallm.chat.FinishReason;
import dev.locallm.testkit.TestModels;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The example, run on the shared stories260K model: each use produces what it shows. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PlainJavaExampleTest {

    @Test
    void eachUseProducesWhatItShows() {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        PlainJavaExample.Report report;
        try (ChatModel model = LocalLm.chatModel("gguf:" + TestModels.require(TestModels.STORIES_CHATML)
                + "?threads=1&ctx=1024")) {
            report = PlainJavaExample.run(model, new PrintStream(printed, true, StandardCharsets.UTF_8));
        }

        assertThat(report.chat()).isNotBlank();
        assertThat(report.streamed()).isEqualTo(report.streamResponse().text()).isNotEmpty();
        assertThat(report.streamResponse().usage().completionTokens()).isBetween(1, 32);
        assertThat(report.weather()).isNotNull();
        assertThat(report.weather().city()).isNotNull();
        assertThat(report.toolCalls()).as("the forced first call ran the tool").hasSize(1);
        assertThat(report.toolLoop().rounds()).isEqualTo(1);
        assertThat(report.toolLoop().answer().finishReason()).isIn(FinishReason.STOP, FinishReason.LENGTH);
        assertThat(printed.toString(StandardCharsets.UTF_8)).contains("chat: ", "stream: ", "record: ",
                "tool loop: called temperature([");
    }
}
