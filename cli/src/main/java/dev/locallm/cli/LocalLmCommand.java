package dev.locallm.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import dev.locallm.error.LocalLmException;
import java.io.PrintWriter;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/**
 * The {@code locallm} command. Exits the JVM explicitly when done: the llama.cpp binding leaves a non-daemon
 * native thread behind, so returning from {@code main} would never end the process.
 */
@Command(name = "locallm", mixinStandardHelpOptions = true, versionProvider = LocalLmCommand.Version.class,
        description = "Run large language models locally.",
        subcommands = {ChatCommand.class, ServeCommand.class, ProbeCommand.class, InfoCommand.class,
                PullCommand.class, ModelsCommand.class, BatchCommand.class, CommandLine.HelpCommand.class})
public final class LocalLmCommand implements Runnable {

    /** Exit code for a failure the user can fix (bad model, bad option value). */
    static final int EXIT_ERROR = 1;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Runs the command line and exits with its status. */
    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command and returns its exit code, without exiting. */
    static int run(String... args) {
        CommandLine cli = new CommandLine(new LocalLmCommand());
        cli.setExecutionExceptionHandler(LocalLmCommand::handle);
        return cli.execute(args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    private static int handle(Exception e, CommandLine cli, CommandLine.ParseResult parsed) {
        PrintWriter err = cli.getErr();
        boolean verbose = parsed.hasMatchedOption("--verbose")
                || (parsed.subcommand() != null && parsed.subcommand().hasMatchedOption("--verbose"));
        String message = e instanceof LocalLmException ? e.getMessage() : e.toString();
        err.println("locallm: error: " + (message == null ? e.getClass().getSimpleName() : message));
        if (verbose) {
            e.printStackTrace(err);
        }
        err.flush();
        return EXIT_ERROR;
    }

    /** Sets LocaLLM's log level: warnings only, or everything with {@code --verbose}. */
    static void configureLogging(boolean verbose) {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.setLevel(verbose ? Level.DEBUG : Level.WARN);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = LocalLmCommand.class.getPackage().getImplementationVersion();
            return new String[] {"locallm " + (v == null ? "development build" : v)};
        }
    }
}
