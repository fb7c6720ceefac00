package dev.locallm.cli;

import dev.locallm.batch.BatchListener;
import dev.locallm.batch.BatchProgress;
import java.util.Locale;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A batch job's progress as a bar on standard error: requests with a result out of all, answered and failed in this
 * run, tokens per second and the time left. Thread-safe (the bar is drawn from the job's worker threads).
 */
final class BatchProgressBar implements BatchListener, AutoCloseable {
    private ProgressBar bar;

    @Override
    public synchronized void started(BatchProgress progress) {
        bar = new ProgressBarBuilder().setTaskName("batch").setInitialMax(progress.total())
                .setStyle(ProgressBarStyle.ASCII).setUnit(" req", 1).build();
        update(progress);
    }

    @Override
    public synchronized void progressed(BatchProgress progress) {
        update(progress);
    }

    private void update(BatchProgress progress) {
        if (bar == null) {
            return;
        }
        bar.stepTo(progress.done() + progress.duplicates());
        bar.setExtraMessage(String.format(Locale.ROOT, "ok %d failed %d, %.1f tok/s", progress.succeeded(),
                progress.failed(), progress.tokensPerSecond()));
    }

    @Override
    public synchronized void close() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }
}
