package org.mnistpipeline.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.mnistpipeline.inference.hostile.ProcessMemory;

/**
 * The model server in a child JVM ({@link ServerMain}, as {@code mnist serve} starts it), with its
 * resident set size sampled from {@code /proc} while it runs ({@link ProcessMemory}): memory
 * measured from outside, native memory included.
 */
final class ServerProcess implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("listening on (http://127\\.0\\.0\\.1:\\d+)");

    final Process process;
    final URI uri;
    final Path log;
    private final ProcessMemory memory;

    private ServerProcess(Process process, URI uri, Path log) {
        this.process = process;
        this.uri = uri;
        this.log = log;
        this.memory = ProcessMemory.watch(process);
    }

    /** Starts {@code java <jvmFlags> ServerMain <args>} on the test class path; waits until it listens. */
    static ServerProcess start(List<String> jvmFlags, List<String> args, Path log) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("--enable-native-access=ALL-UNNAMED");
        command.addAll(jvmFlags);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), ServerMain.class.getName(),
                "--port", "0"));
        command.addAll(args);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline && process.isAlive()) {
            for (String line : Files.readAllLines(log)) {
                Matcher m = LISTENING.matcher(line);
                if (m.find()) {
                    return new ServerProcess(process, URI.create(m.group(1)), log);
                }
            }
            sleep(50);
        }
        process.destroyForcibly();
        throw new AssertionError("server did not start: " + Files.readString(log));
    }

    /** Peak resident set size seen so far, in MiB. */
    long peakRssMib() {
        return memory.peakMib();
    }

    /** Resident set size now, in MiB. */
    long rssMib() {
        return memory.nowMib();
    }

    String output() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
        memory.close();
    }
}
