package org.mnistpipeline.inference.fuzz;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Runs one Jazzer fuzz target (coverage-guided: libFuzzer driving the JVM, the target's classes and
 * the decoders it calls instrumented for edge coverage) in a child JVM for a fixed time, seeded
 * with the target's {@code seeds()}, and reads libFuzzer's figures from its output. A target is a
 * class with {@code public static void fuzzerTestOneInput(byte[])} and
 * {@code public static Map<String, byte[]> seeds()}; whatever it throws is a finding, written as
 * {@code crash-*} into the work directory.
 *
 * <p>Used by the short runs in the test suite and by {@code bench/fuzz-decoders.sh} (through
 * {@link #main}) for the long ones.
 */
public final class FuzzRun {
    private static final Pattern DONE = Pattern.compile("#(\\d+)\\s+DONE\\s+cov: (\\d+) ft: (\\d+) corp: (\\d+)/");
    private static final Pattern RUNS = Pattern.compile("Done (\\d+) runs in (\\d+) second");

    private FuzzRun() {}

    /**
     * What a run found.
     *
     * @param coverage  edges covered (libFuzzer's {@code cov}), in our classes and the instrumented libraries
     * @param features  libFuzzer's {@code ft}: edges with hit counts, a finer measure of progress
     * @param findings  files of inputs that crashed, timed out or ran out of memory
     */
    public record Result(String target, long executions, long seconds, long coverage, long features, long corpus,
            List<Path> findings, int exitCode, String outputTail) {
        public boolean clean() {
            return exitCode == 0 && findings.isEmpty();
        }

        /** One line of JSON, for the benchmark's results. */
        public String json() {
            return String.format(java.util.Locale.ROOT, "{\"target\": \"%s\", \"executions\": %d, \"seconds\": %d,"
                    + " \"edges_covered\": %d, \"features\": %d, \"corpus\": %d, \"findings\": %d, \"exit_code\": %d}",
                    target, executions, seconds, coverage, features, corpus, findings.size(), exitCode);
        }
    }

    /**
     * Fuzzes {@code targetClass} for {@code duration} in a child JVM on {@code classpath};
     * {@code instrument} lists the packages to instrument besides ours ({@code com.sun.imageio.**}).
     */
    public static Result run(String targetClass, String instrument, Map<String, byte[]> seeds, Duration duration,
            Path workDir, String classpath) {
        try {
            Path seedDir = Files.createDirectories(workDir.resolve("seeds"));
            Path corpus = Files.createDirectories(workDir.resolve("corpus"));
            for (Map.Entry<String, byte[]> seed : seeds.entrySet()) {
                Files.write(seedDir.resolve(seed.getKey()), seed.getValue());
            }
            Path log = workDir.resolve("jazzer.log");
            List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                    .toString(), "-Xmx768m", "-XX:-OmitStackTraceInFastThrow", "--enable-native-access=ALL-UNNAMED",
                    "-cp", absolute(classpath), "com.code_intelligence.jazzer.Jazzer", "--target_class=" + targetClass,
                    "--instrumentation_includes=org.mnistpipeline.**" + (instrument.isEmpty() ? "" : ":" + instrument),
                    "-max_total_time=" + duration.toSeconds(), "-timeout=30", "-rss_limit_mb=4096",
                    "-artifact_prefix=" + workDir.toAbsolutePath() + "/", corpus.toString(), seedDir.toString()));
            Process process = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            if (!process.waitFor(duration.toSeconds() + 300, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
            String output = Files.readString(log);
            long executions = 0;
            long seconds = 0;
            long coverage = 0;
            long features = 0;
            long corpusSize = 0;
            Matcher done = DONE.matcher(output);
            while (done.find()) {
                executions = Long.parseLong(done.group(1));
                coverage = Long.parseLong(done.group(2));
                features = Long.parseLong(done.group(3));
                corpusSize = Long.parseLong(done.group(4));
            }
            Matcher runs = RUNS.matcher(output);
            if (runs.find()) {
                executions = Long.parseLong(runs.group(1));
                seconds = Long.parseLong(runs.group(2));
            }
            List<Path> findings;
            try (Stream<Path> files = Files.list(workDir)) {
                findings = files.filter(f -> f.getFileName().toString().matches("(crash|timeout|oom|leak)-.*"))
                        .sorted().toList();
            }
            String tail = output.length() > 6000 ? output.substring(output.length() - 6000) : output;
            return new Result(targetClass.substring(targetClass.lastIndexOf('.') + 1), executions, seconds, coverage,
                    features, corpusSize, findings, process.exitValue(), tail);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The child runs in the work directory: relative class path entries would resolve there. */
    private static String absolute(String classpath) {
        return java.util.Arrays.stream(classpath.split(java.io.File.pathSeparator))
                .map(e -> Path.of(e).toAbsolutePath().toString())
                .collect(java.util.stream.Collectors.joining(java.io.File.pathSeparator));
    }

    /** The seeds a target offers through its {@code seeds()} method. */
    @SuppressWarnings("unchecked")
    public static Map<String, byte[]> seedsOf(String targetClass) {
        try {
            return (Map<String, byte[]>) Class.forName(targetClass).getMethod("seeds").invoke(null);
        } catch (ReflectiveOperationException e) {
            throw new IllegalArgumentException(targetClass + " has no public static seeds()", e);
        }
    }

    /** The class path a child JVM needs: surefire's real one in tests, this JVM's otherwise. */
    public static String classpath() {
        return System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    }

    /**
     * {@code FuzzRun TARGET_CLASS SECONDS WORK_DIR [INSTRUMENT]}: fuzzes, prints the result as one
     * JSON line, exits 1 when anything was found.
     */
    public static void main(String[] args) {
        Result result = run(args[0], args.length > 3 ? args[3] : "", seedsOf(args[0]),
                Duration.ofSeconds(Long.parseLong(args[1])), Path.of(args[2]), classpath());
        System.out.println(result.json());
        if (!result.clean()) {
            System.err.println(result.outputTail());
            System.exit(1);
        }
    }
}
