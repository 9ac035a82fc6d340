package org.mnistpipeline.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.mnistpipeline.io.Locations;

/** Runs the CLI in-process against a private MNIST_HOME and the shared data and native caches. */
final class CliRunner {
    record Result(int exitCode, String out, String err) {}

    private final Locations locations;

    CliRunner(Path home) {
        Locations env = Locations.fromEnvironment();
        this.locations = new Locations(env.cacheDir(), env.dataDir(), home);
    }

    Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = MnistCli.run(locations, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), args);
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
