package dev.locallm.cli;

import picocli.CommandLine.Option;

/**
 * {@code -v}/{@code --verbose}, mixed into the commands that take it: log everything, and show stack traces (the
 * error handler of {@link LocalLmCommand} looks for the option by name).
 */
final class VerboseOption {
    @Option(names = {"-v", "--verbose"}, description = "Log what happens and show stack traces.")
    boolean verbose;

    /** Sets the log level from the option. */
    void apply() {
        LocalLmCommand.configureLogging(verbose);
    }
}
