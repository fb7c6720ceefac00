package dev.locallm.hub;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Logs a download at INFO: its start, each tenth of it, and its end. Used by one download at a time. */
final class LoggedProgress implements DownloadListener {
    private static final Logger LOG = LoggerFactory.getLogger(LoggedProgress.class);

    private final String name;
    private int tenths = -1;

    LoggedProgress(String name) {
        this.name = name;
    }

    @Override
    public void progress(long bytes, long total) {
        int now = total > 0 ? (int) (bytes * 10 / total) : 0;
        if (now > tenths) {
            tenths = now;
            LOG.info("hf:{}: {} of {} MB", name, bytes / 1_000_000, total > 0 ? total / 1_000_000 : "?");
        }
    }
}
