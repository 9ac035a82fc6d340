package org.mnistpipeline.cli;

import java.util.List;
import org.mnistpipeline.server.ServerMain;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

/**
 * {@code mnist serve}: the SageMaker-compatible model server. The {@code ./mnist} launcher starts
 * the server module directly (a JVM without DJL); this command exists so the same flags work from
 * the CLI jar and appear in {@code mnist --help}.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve the production model (or --model-dir) over HTTP as SageMaker expects:",
                "GET /ping, POST /invocations (PNG/JPEG/GIF/BMP, JSON, npy, CSV), GET / (drawing page),",
                "GET /metrics (Prometheus), GET /models. Binds to 127.0.0.1:8080 unless told otherwise.",
                "Flags: --host HOST --port PORT --model-dir DIR --no-batching --max-batch N --max-wait-us N",
                "--threads N --monitor-dir DIR --no-monitor --monitor-sample-rate R --monitor-interval SECONDS"})
final class ServeCommand extends MnistSubcommand {
    @Unmatched
    List<String> flags = new java.util.ArrayList<>();

    @Override
    public Integer call() {
        return ServerMain.run(flags.toArray(String[]::new), root.context.env, root.context.locations,
                root.context.out, root.context.err);
    }
}
