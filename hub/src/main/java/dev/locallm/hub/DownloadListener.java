package dev.locallm.hub;

/**
 * Told how a download advances: after each megabyte or so, and once at its start and end. Called on the
 * downloading thread; it should return quickly.
 */
@FunctionalInterface
public interface DownloadListener {
    /** A listener that does nothing. */
    DownloadListener NONE = (bytes, total) -> { };

    /**
     * @param bytes the bytes of the file received so far (a resumed download starts where it stopped)
     * @param total the file's size, or -1 when the Hub did not say
     */
    void progress(long bytes, long total);
}
