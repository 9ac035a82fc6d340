package org.mnistpipeline.server;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.mnistpipeline.io.Locations;
import org.mnistpipeline.monitor.SummaryStore;
import org.mnistpipeline.s3.S3Objects;
import org.mnistpipeline.store.HomeStores;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sun.misc.Signal;

/**
 * Runs a {@link ModelServer} until the process is told to stop.
 *
 * <pre>java -cp ... org.mnistpipeline.server.ServerMain [--host H] [--port P] [--model-dir DIR] ...</pre>
 *
 * The flags are {@link Flags}; {@code --help} lists them.
 *
 * SIGTERM (how SageMaker, ECS and Kubernetes stop a container) and SIGINT finish the requests in
 * flight, for up to 30 s, before the process exits; SIGTERM then exits 0, since being asked to
 * stop is not a failure. Exit codes: 0 stopped cleanly, 1 could not start, 2 bad arguments.
 */
public final class ServerMain {
    /** The flags, as picocli reads them; defaults that depend on the environment are set by {@link #parse}. */
    @Command(name = "ServerMain", sortOptions = false, usageHelpWidth = 100,
            description = "Serves a model over HTTP (SageMaker contract) until stopped.")
    static final class Flags {
        @Option(names = "--host", paramLabel = "HOST",
                description = "interface to listen on (default 127.0.0.1; 0.0.0.0 for every interface)")
        String host = ServerConfig.DEFAULT_HOST;

        @Option(names = "--port", paramLabel = "PORT",
                description = "port (default $SAGEMAKER_BIND_TO_PORT, else 8080; 0 picks a free one)")
        Integer port;

        @Option(names = "--model-dir", paramLabel = "DIR", description = "serve the model in DIR (default"
                + " $MNIST_MODEL_DIR, else /opt/ml/model when present, else the 'production' alias of the registry in"
                + " $MNIST_HOME, a directory or s3://bucket/prefix, followed as it moves)")
        Path modelDir;

        @Option(names = "--no-batching", description = "run every request on its own instead of micro-batching")
        boolean noBatching;

        @Option(names = "--max-batch", paramLabel = "N", description = "most images per forward pass when batching"
                + " (default 32)")
        int maxBatch = ServerConfig.Batching.DEFAULT_MAX_BATCH;

        @Option(names = "--max-wait-us", paramLabel = "MICROS", description = "how long a request may wait for"
                + " others to batch with (default 0: a batch is what queued while the previous one ran)")
        long maxWaitMicros = ServerConfig.Batching.DEFAULT_MAX_WAIT_MICROS;

        @Option(names = "--threads", paramLabel = "N", description = "ONNX Runtime threads per forward pass"
                + " (default 1)")
        int threads = ServerConfig.DEFAULT_MODEL_THREADS;

        @Option(names = "--monitor-dir", paramLabel = "DIR", description = "write drift-monitoring summaries"
                + " (aggregates, never images) under DIR (default $MNIST_HOME/monitoring, in S3 for an s3:// home);"
                + " read by `mnist monitor`")
        Path monitorDir;

        @Option(names = "--no-monitor", description = "write no monitoring summaries")
        boolean noMonitor;

        @Option(names = "--monitor-sample-rate", paramLabel = "R", description = "share of predictions summarised,"
                + " 0 < R <= 1 (default 1)")
        double sampleRate = ServerConfig.Monitoring.DEFAULT_SAMPLE_RATE;

        @Option(names = "--monitor-interval", paramLabel = "SECONDS", description = "length of one summary window"
                + " (default 60)")
        double monitorIntervalSeconds = ServerConfig.Monitoring.DEFAULT_FLUSH_INTERVAL.toMillis() / 1000.0;

        @Option(names = {"-h", "--help"}, usageHelp = true, description = "print this help")
        boolean help;
    }

    private ServerMain() {}

    public static void main(String[] args) {
        // slf4j-simple reads these once; defaults suited to a server log, unless set on the command line.
        System.setProperty("org.slf4j.simpleLogger.showDateTime",
                System.getProperty("org.slf4j.simpleLogger.showDateTime", "true"));
        System.setProperty("org.slf4j.simpleLogger.dateTimeFormat",
                System.getProperty("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSZ"));
        System.exit(run(args, System.getenv(), System.out, System.err));
    }

    /** Starts the server and blocks until it has stopped; returns the exit code. */
    public static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
        return run(args, env, Locations.fromEnvironment(), out, err);
    }

    /** As {@link #run(String[], Map, PrintStream, PrintStream)}, with MNIST_HOME and the cache as {@code locations} say. */
    public static int run(String[] args, Map<String, String> env, Locations locations, PrintStream out,
            PrintStream err) {
        ServerConfig config;
        try {
            Optional<ServerConfig> parsed = parse(args, env, locations);
            if (parsed.isEmpty()) {
                out.print(usage());
                return 0;
            }
            config = parsed.get();
        } catch (IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            err.print(usage());
            return 2;
        }
        ModelServer server;
        try {
            server = ModelServer.start(config);
        } catch (RuntimeException e) {
            err.println("error: " + e.getMessage());
            return 1;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "mnist-server-shutdown"));
        exitZeroOnSigterm();
        try {
            server.awaitClosed();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            server.close();
        }
        return 0;
    }

    static String usage() {
        return new CommandLine(new Flags()).getUsageMessage(CommandLine.Help.Ansi.OFF);
    }

    /**
     * The JVM answers SIGTERM by running the shutdown hooks (which drain the server) and exiting
     * with 143. An orchestrator stopping a healthy container is routine, so exit with 0 instead;
     * {@code System.exit} runs the same hooks.
     */
    private static void exitZeroOnSigterm() {
        try {
            Signal.handle(new Signal("TERM"), signal -> System.exit(0));
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            // No SIGTERM here (or the JVM reserves it, -Xrs): the shutdown hook still drains.
        }
    }

    /**
     * The configuration the arguments ask for; empty for {@code --help}. A bad argument is an
     * {@link IllegalArgumentException} that names the flag and what it needs.
     */
    static Optional<ServerConfig> parse(String[] args, Map<String, String> env, Locations locations) {
        Flags flags = new Flags();
        // The container's entrypoint passes --host 0.0.0.0 first; a later flag overrides it, as before picocli.
        CommandLine cli = new CommandLine(flags).setOverwrittenOptionsAllowed(true);
        try {
            cli.parseArgs(args);
        } catch (CommandLine.UnmatchedArgumentException e) {
            throw new IllegalArgumentException("unknown argument '" + e.getUnmatched().getFirst() + "'");
        } catch (CommandLine.MissingParameterException e) {
            throw new IllegalArgumentException(name(e.getMissing().getFirst()) + " needs a value");
        } catch (CommandLine.ParameterException e) {
            String type = e.getArgSpec() != null && (e.getArgSpec().type() == double.class) ? "a number" : "a whole number";
            throw new IllegalArgumentException(e.getArgSpec() == null ? e.getMessage()
                    : name(e.getArgSpec()) + " needs " + type + ", got '" + e.getValue() + "'");
        }
        if (cli.isUsageHelpRequested()) {
            return Optional.empty();
        }
        // MNIST_HOME=s3://... keeps the registry and the summaries in S3 (the client is built from env).
        HomeStores home = new HomeStores(locations, () -> S3Objects.fromEnvironment(env));
        ModelSource source = ModelSource.resolve(Optional.ofNullable(flags.modelDir), env,
                ModelSource.SAGEMAKER_MODEL_DIR, home::registry);
        return Optional.of(ServerConfig.builder(source)
                .host(flags.host)
                .port(flags.port != null ? flags.port : ServerConfig.defaultPort(env))
                .batching(new ServerConfig.Batching(!flags.noBatching, flags.maxBatch, flags.maxWaitMicros))
                .modelThreads(flags.threads)
                .monitoring(new ServerConfig.Monitoring(flags.noMonitor ? null
                        : flags.monitorDir != null ? SummaryStore.local(flags.monitorDir) : home.summaries(),
                        flags.sampleRate,
                        Duration.ofMillis(Math.round(flags.monitorIntervalSeconds * 1000))))
                .build());
    }

    private static String name(CommandLine.Model.ArgSpec spec) {
        return spec instanceof CommandLine.Model.OptionSpec option ? option.longestName() : spec.paramLabel();
    }
}
