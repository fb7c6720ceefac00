package dev.locallm.cli;

import dev.locallm.hub.CachedFile;
import dev.locallm.hub.HuggingFaceHub;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/** {@code locallm models}: the models in the Hugging Face cache, with their sizes and the names that load them. */
@Command(name = "models", description = "List the models in the Hugging Face cache.")
final class ModelsCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        HuggingFaceHub hub = HuggingFaceHub.fromEnvironment();
        List<CachedFile> files = hub.cachedFiles();
        PrintWriter out = spec.commandLine().getOut();
        out.println("Hugging Face cache: " + hub.cacheRoot());
        if (files.isEmpty()) {
            out.println("(empty; locallm pull hf:ORG/REPO/FILE.gguf downloads one)");
            return 0;
        }
        long total = 0;
        for (CachedFile f : files) {
            out.printf(Locale.ROOT, "%10.1f MB  %s%n", f.size() / 1e6, f.name());
            total += f.size();
        }
        out.printf(Locale.ROOT, "%10.1f MB  in %d file(s)%n", total / 1e6, files.size());
        return 0;
    }
}
