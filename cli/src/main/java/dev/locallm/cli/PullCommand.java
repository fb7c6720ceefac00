package dev.locallm.cli;

import dev.locallm.hub.HuggingFaceHub;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine;

/**
 * {@code locallm pull hf:ORG/REPO/FILE.gguf}: downloads a model into the Hugging Face cache (with a progress bar),
 * or finds it there, and prints its path.
 */
@Command(name = "pull", description = "Download a model from the Hugging Face Hub into its cache; print its path.")
final class PullCommand implements Callable<Integer> {

    @Parameters(paramLabel = "NAME", description = "hf:ORG/REPO/FILE.gguf[@REVISION], or "
            + "hf:ORG/REPO[@REVISION][?include=GLOB,GLOB] for a model folder")
    String name;

    @CommandLine.Mixin
    VerboseOption verbose;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        verbose.apply();
        Path file;
        try (DownloadProgressBar bar = new DownloadProgressBar(name)) {
            file = HuggingFaceHub.fromEnvironment().download(name, bar);
        }
        spec.commandLine().getOut().println(file);
        return 0;
    }
}
