package org.mnistpipeline.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import org.mnistpipeline.io.Locations;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code mnist}: train, evaluate, register and promote MNIST models. */
@Command(name = "mnist", mixinStandardHelpOptions = true, version = "mnist-pipeline 0.1.0",
        description = "Train, evaluate, package and promote MNIST CNNs on embedded defaults.",
        subcommands = {DataCommand.class, TrainCommand.class, TuneCommand.class, EvaluateCommand.class,
                ModelsCommand.class, DemoCommand.class, ServeCommand.class, MonitorCommand.class, SageMakerTrainCommand.class, RetrainCommand.class, CommandLine.HelpCommand.class})
public final class MnistCli {
    @Option(names = "--verbose", description = "Print stack traces with errors.", scope = CommandLine.ScopeType.INHERIT)
    boolean verbose;

    final Context context;

    MnistCli(Context context) {
        this.context = context;
    }

    public static void main(String[] args) {
        System.exit(run(Locations.fromEnvironment(), System.out, System.err, args));
    }

    /** Runs the CLI and returns its exit code; tests call this directly. */
    public static int run(Locations locations, PrintStream out, PrintStream err, String... args) {
        return run(locations, System.getenv(), out, err, args);
    }

    /** As {@link #run(Locations, PrintStream, PrintStream, String...)}, with the environment given (S3 settings). */
    public static int run(Locations locations, java.util.Map<String, String> env, PrintStream out, PrintStream err,
            String... args) {
        MnistCli app = new MnistCli(new Context(locations, env, out, err));
        CommandLine cli = new CommandLine(app);
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        cli.setExitCodeExceptionMapper(new ExitCodes());
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            boolean verbose = parseResult.hasMatchedOption("--verbose")
                    || parseResult.subcommands().stream().anyMatch(p -> p.hasMatchedOption("--verbose"))
                    || hasVerbose(parseResult);
            String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            err.println("mnist: error: " + message.lines().findFirst().orElse(""));
            if (verbose) {
                e.printStackTrace(err);
            }
            return commandLine.getExitCodeExceptionMapper().getExitCode(e);
        });
        return cli.execute(args);
    }

    private static boolean hasVerbose(CommandLine.ParseResult result) {
        for (CommandLine.ParseResult p = result; p != null; p = p.subcommand()) {
            if (p.hasMatchedOption("--verbose")) {
                return true;
            }
        }
        return false;
    }
}
