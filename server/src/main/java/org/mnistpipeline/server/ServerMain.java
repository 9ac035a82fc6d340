package org.mnistpipeline.server;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.mnistpipeline.io.Locations;
import sun.misc.Signal;

/**
 * Runs a {@link ModelServer} until the process is told to stop.
 *
 * <pre>
 * java -cp ... org.mnistpipeline.server.ServerMain [--host H] [--port P] [--model-dir DIR]
 *      [--no-batching] [--max-batch N] [--max-wait-us N] [--threads N]
 *      [--monitor-dir DIR | --no-monitor] [--monitor-sample-rate R] [--monitor-interval SECONDS]
 * </pre>
 *
 * SIGTERM (how SageMaker, ECS and Kubernetes stop a container) and SIGINT finish the requests in
 * flight, for up to 30 s, before the process exits; SIGTERM then exits 0, since being asked to
 * stop is not a failure. Exit codes: 0 stopped cleanly, 1 could not start, 2 bad arguments.
 */
public final class ServerMain {
    static final String USAGE = """
            Usage: ServerMain [--host HOST] [--port PORT] [--model-dir DIR] [--no-batching]
                              [--max-batch N] [--max-wait-us MICROS] [--threads N]
                              [--monitor-dir DIR | --no-monitor] [--monitor-sample-rate R]
                              [--monitor-interval SECONDS]
              --host HOST         interface to listen on (default 127.0.0.1; 0.0.0.0 for every interface)
              --port PORT         port (default $SAGEMAKER_BIND_TO_PORT, else 8080; 0 picks a free one)
              --model-dir DIR     serve the model in DIR (default $MNIST_MODEL_DIR, else /opt/ml/model
                                  when present, else the local registry's 'production' alias)
              --no-batching       run every request on its own instead of micro-batching
              --max-batch N       most images per forward pass when batching (default 32)
              --max-wait-us N     how long a request may wait for others to batch with (default 0:
                                  a batch is what queued while the previous one ran)
              --threads N         ONNX Runtime threads per forward pass (default 1)
              --monitor-dir DIR   write drift-monitoring summaries (aggregates, never images) under DIR
                                  (default $MNIST_HOME/monitoring); read by `mnist monitor`
              --no-monitor        write no monitoring summaries
              --monitor-sample-rate R  share of predictions summarised, 0 < R <= 1 (default 1)
              --monitor-interval SECONDS  length of one summary window (default 60)
            """;

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
        ServerConfig config;
        try {
            Optional<ServerConfig> parsed = parse(args, env, Locations.fromEnvironment());
            if (parsed.isEmpty()) {
                out.print(USAGE);
                return 0;
            }
            config = parsed.get();
        } catch (IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            err.print(USAGE);
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

    /** The configuration the arguments ask for; empty for {@code --help}. */
    static Optional<ServerConfig> parse(String[] args, Map<String, String> env, Locations locations) {
        String host = ServerConfig.DEFAULT_HOST;
        int threads = ServerConfig.DEFAULT_MODEL_THREADS;
        int port = ServerConfig.defaultPort(env);
        Optional<Path> modelDir = Optional.empty();
        ServerConfig.Batching batching = ServerConfig.Batching.defaults();
        Path monitorDir = locations.monitoring();
        boolean monitor = true;
        double sampleRate = ServerConfig.Monitoring.DEFAULT_SAMPLE_RATE;
        java.time.Duration monitorInterval = ServerConfig.Monitoring.DEFAULT_FLUSH_INTERVAL;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            switch (arg) {
                case "--help", "-h" -> {
                    return Optional.empty();
                }
                case "--host" -> host = value(args, ++i, arg);
                case "--threads" -> threads = intValue(args, ++i, arg);
                case "--port" -> port = intValue(args, ++i, arg);
                case "--model-dir" -> modelDir = Optional.of(Path.of(value(args, ++i, arg)));
                case "--no-batching" -> batching = new ServerConfig.Batching(false, batching.maxBatch(),
                        batching.maxWaitMicros());
                case "--max-batch" -> batching = new ServerConfig.Batching(batching.enabled(), intValue(args, ++i, arg),
                        batching.maxWaitMicros());
                case "--max-wait-us" -> batching = new ServerConfig.Batching(batching.enabled(), batching.maxBatch(),
                        intValue(args, ++i, arg));
                case "--monitor-dir" -> monitorDir = Path.of(value(args, ++i, arg));
                case "--no-monitor" -> monitor = false;
                case "--monitor-sample-rate" -> sampleRate = doubleValue(args, ++i, arg);
                case "--monitor-interval" -> monitorInterval = java.time.Duration.ofMillis(
                        Math.round(doubleValue(args, ++i, arg) * 1000));
                default -> throw new IllegalArgumentException("unknown argument '" + arg + "'");
            }
        }
        ModelSource source = ModelSource.resolve(modelDir, env, ModelSource.SAGEMAKER_MODEL_DIR, locations);
        ServerConfig.Monitoring monitoring = new ServerConfig.Monitoring(monitor ? monitorDir : null, sampleRate,
                monitorInterval);
        return Optional.of(new ServerConfig(host, port, source, ServerConfig.DEFAULT_MAX_BODY_BYTES,
                ServerConfig.DEFAULT_MAX_PIXELS, batching, ServerConfig.DEFAULT_SHUTDOWN_GRACE,
                ServerConfig.DEFAULT_RELOAD_INTERVAL, threads, monitoring));
    }

    private static String value(String[] args, int index, String option) {
        if (index >= args.length || args[index].startsWith("--")) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[index];
    }

    private static double doubleValue(String[] args, int index, String option) {
        String value = value(args, index, option);
        try {
            return Double.parseDouble(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " needs a number, got '" + value + "'");
        }
    }

    private static int intValue(String[] args, int index, String option) {
        String value = value(args, index, option);
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " needs a whole number, got '" + value + "'");
        }
    }
}
