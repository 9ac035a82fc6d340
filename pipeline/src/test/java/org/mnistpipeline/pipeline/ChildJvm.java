package org.mnistpipeline.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a test's main class in a child JVM on this test's class path: to give it a small heap (so
 * that running out of memory is real), or to kill it with SIGKILL where it blocks at a crash point
 * (it prints {@value #REACHED}{@code step} and sleeps), so no {@code finally} or shutdown hook runs.
 */
public final class ChildJvm {
    /** What a child prints when it reaches the step it was asked to stop at. */
    public static final String REACHED = "reached ";

    /** What a child that ran to its end printed, and how it exited. */
    public record Result(int exitCode, String output) {}

    private ChildJvm() {}

    private static List<String> command(String heap, Class<?> main, String... args) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-Xmx" + heap, "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true"));
        // What the build gives the test JVM for DJL (offline, native access) applies to the child too.
        java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("-Dai.djl") || a.startsWith("--enable-native-access")
                        || a.startsWith("--sun-misc-unsafe-memory-access"))
                .forEach(command::add);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        command.addAll(List.of(args));
        return command;
    }

    /** Runs {@code main} to its end (at most {@code timeoutSeconds}) and returns its exit code and output. */
    public static Result run(long timeoutSeconds, String heap, Class<?> main, String... args)
            throws IOException, InterruptedException {
        Process child = new ProcessBuilder(command(heap, main, args)).redirectErrorStream(true).start();
        try {
            byte[] out = child.getInputStream().readAllBytes();
            assertThat(child.waitFor(timeoutSeconds, TimeUnit.SECONDS)).as("child finished").isTrue();
            return new Result(child.exitValue(), new String(out, StandardCharsets.UTF_8));
        } finally {
            child.destroyForcibly();
        }
    }

    /** Runs {@code main} and kills it with SIGKILL once it says it reached {@code step}; returns what it printed. */
    public static List<String> killAt(String step, String heap, Class<?> main, String... args)
            throws IOException, InterruptedException {
        Process child = new ProcessBuilder(command(heap, main, args)).redirectErrorStream(true).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.UTF_8))) {
            List<String> seen = new ArrayList<>();
            String line;
            while ((line = out.readLine()) != null && !line.equals(REACHED + step)) {
                seen.add(line);
            }
            assertThat(line).as("child reached %s; its output: %s", step, seen).isNotNull();
            assertThat(child.isAlive()).as("blocked at the step").isTrue();
            child.destroyForcibly(); // SIGKILL
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(child.exitValue()).as("killed by SIGKILL").isEqualTo(128 + 9);
            return seen;
        } finally {
            child.destroyForcibly();
        }
    }

    /** For the child's side: say the step was reached, then block until killed. */
    public static void reachedAndBlock(String step) {
        System.out.println(REACHED + step);
        System.out.flush();
        try {
            Thread.sleep(Long.MAX_VALUE);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
