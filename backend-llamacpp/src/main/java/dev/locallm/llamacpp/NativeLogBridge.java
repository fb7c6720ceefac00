package dev.locallm.llamacpp;

import de.kherud.llama.LogLevel;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes llama.cpp's log output to SLF4J logger {@value #LOGGER_NAME}, one event per line: native ERROR and
 * WARN keep their level, INFO becomes DEBUG and DEBUG becomes TRACE, so that a default configuration stays
 * quiet. Native code logs line fragments (progress dots); they are joined per thread until a newline.
 */
final class NativeLogBridge implements BiConsumer<LogLevel, String> {
    static final String LOGGER_NAME = "dev.locallm.llamacpp.native";
    private static final Logger LOG = LoggerFactory.getLogger(LOGGER_NAME);
    private static final int MAX_LINE = 8192;

    private final ThreadLocal<StringBuilder> partial = ThreadLocal.withInitial(StringBuilder::new);

    @Override
    public void accept(LogLevel level, String text) {
        if (text == null || !enabled(level)) {
            return;
        }
        StringBuilder line = partial.get();
        int start = 0;
        for (int nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
            line.append(text, start, nl);
            emit(level, line);
            start = nl + 1;
        }
        line.append(text, start, text.length());
        if (line.length() > MAX_LINE) {
            emit(level, line);
        }
    }

    private static boolean enabled(LogLevel level) {
        return switch (level) {
            case ERROR -> LOG.isErrorEnabled();
            case WARN -> LOG.isWarnEnabled();
            case INFO -> LOG.isDebugEnabled();
            case DEBUG -> LOG.isTraceEnabled();
        };
    }

    private static void emit(LogLevel level, StringBuilder line) {
        String message = line.toString().strip();
        line.setLength(0);
        if (message.isEmpty()) {
            return;
        }
        switch (level) {
            case ERROR -> LOG.error(message);
            case WARN -> LOG.warn(message);
            case INFO -> LOG.debug(message);
            case DEBUG -> LOG.trace(message);
        }
    }
}
