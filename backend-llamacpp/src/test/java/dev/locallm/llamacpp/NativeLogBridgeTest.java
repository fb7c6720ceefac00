package dev.locallm.llamacpp;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import de.kherud.llama.LogLevel;
import dev.locallm.ChatModel;
import dev.locallm.LocalLm;
import dev.locallm.chat.ChatRequest;
import dev.locallm.testkit.TestModels;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class NativeLogBridgeTest {
    private final Logger nativeLogger = (Logger) LoggerFactory.getLogger(NativeLogBridge.LOGGER_NAME);
    private final ListAppender<ILoggingEvent> events = new ListAppender<>();
    private Level previous;

    @BeforeEach
    void capture() {
        previous = nativeLogger.getLevel();
        nativeLogger.setLevel(Level.TRACE);
        events.start();
        nativeLogger.addAppender(events);
    }

    @AfterEach
    void release() {
        nativeLogger.detachAppender(events);
        nativeLogger.setLevel(previous);
    }

    @Test
    void llamaCppLogLinesArriveThroughSlf4j() {
        // when
        try (ChatModel model = LocalLm.chatModel("gguf:" + TestModels.require(TestModels.STORIES) + "?threads=1")) {
            model.chat(ChatRequest.builder().user("Once").options(o -> o.maxTokens(3).seed(1)).build());
        }
        // then: llama.cpp's own lines, one event each, none with a trailing newline
        List<ILoggingEvent> logged = List.copyOf(events.list);
        assertThat(logged).isNotEmpty();
        assertThat(logged).allSatisfy(e -> assertThat(e.getFormattedMessage()).doesNotEndWith("\n").isNotBlank());
        assertThat(logged).extracting(ILoggingEvent::getLoggerName).containsOnly(NativeLogBridge.LOGGER_NAME);
    }

    @Test
    void fragmentsAreJoinedIntoLinesAndLevelsMapped() {
        // given
        var bridge = new NativeLogBridge();
        // when
        bridge.accept(LogLevel.INFO, "loading ");
        bridge.accept(LogLevel.INFO, "...");
        bridge.accept(LogLevel.INFO, " done\nsecond line\n");
        bridge.accept(LogLevel.ERROR, "it failed\n");
        bridge.accept(LogLevel.DEBUG, "detail\n");
        // then
        assertThat(events.list).extracting(ILoggingEvent::getFormattedMessage)
                .containsExactly("loading ... done", "second line", "it failed", "detail");
        assertThat(events.list).extracting(ILoggingEvent::getLevel)
                .containsExactly(Level.DEBUG, Level.DEBUG, Level.ERROR, Level.TRACE);
    }
}
