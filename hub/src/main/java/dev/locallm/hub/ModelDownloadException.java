package dev.locallm.hub;

import dev.locallm.error.ModelLoadException;

/**
 * A model named on the Hugging Face Hub could not be had: the Hub refused it (a gated or private repository, a
 * name that does not exist), the network or the disk failed, or the file that arrived does not match its checksum
 * (it is then removed, never used). The message says which, and what to do. Immutable.
 */
public class ModelDownloadException extends ModelLoadException {
    private static final long serialVersionUID = 1L;

    ModelDownloadException(String message) {
        super(message);
    }

    ModelDownloadException(String message, Throwable cause) {
        super(message, cause);
    }
}
