package dev.locallm.cli;

import dev.locallm.hub.DownloadListener;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A download's progress as a bar on standard error ({@code me.tongfei:progressbar}: megabytes, speed, time left),
 * opened at the first report, so nothing is drawn when the file is already cached. Used by one download.
 */
final class DownloadProgressBar implements DownloadListener, AutoCloseable {
    private final String name;
    private ProgressBar bar;

    DownloadProgressBar(String name) {
        this.name = name;
    }

    @Override
    public void progress(long bytes, long total) {
        if (bar == null) {
            bar = new ProgressBarBuilder().setTaskName(name).setInitialMax(Math.max(total, 0))
                    .setUnit(" MB", 1_000_000).setStyle(ProgressBarStyle.ASCII).showSpeed().build();
        }
        bar.stepTo(bytes);
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
        }
    }
}
