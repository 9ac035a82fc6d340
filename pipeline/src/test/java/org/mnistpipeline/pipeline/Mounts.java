package org.mnistpipeline.pipeline;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Real file systems for failure tests: a small tmpfs (a disk that fills up) and a read-only bind
 * mount (file permissions prove nothing when tests run as root, as CI does). Needs root or
 * CAP_SYS_ADMIN; where mounting is impossible the test is skipped and says why.
 */
public final class Mounts implements AutoCloseable {
    private final Path mountPoint;

    private Mounts(Path mountPoint) {
        this.mountPoint = mountPoint;
    }

    /** A tmpfs of {@code size} (e.g. {@code 4m}) mounted on {@code dir}, which is created. */
    public static Mounts tmpfs(Path dir, String size) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        mount(List.of("mount", "-t", "tmpfs", "-o", "size=" + size + ",mode=0755", "tmpfs", dir.toString()));
        return new Mounts(dir);
    }

    /** {@code source} mounted read-only on {@code target} (created): the same files, no writes. */
    public static Mounts readOnly(Path source, Path target) throws IOException, InterruptedException {
        Files.createDirectories(target);
        mount(List.of("mount", "--bind", source.toString(), target.toString()));
        Mounts mounted = new Mounts(target);
        try {
            run(List.of("mount", "-o", "remount,ro,bind", target.toString()));
        } catch (IOException e) {
            mounted.close();
            throw e;
        }
        return mounted;
    }

    private static void mount(List<String> command) throws IOException, InterruptedException {
        String failure = null;
        try {
            run(command);
        } catch (IOException e) {
            failure = e.getMessage();
        }
        assumeTrue(failure == null, "cannot mount here (needs root or CAP_SYS_ADMIN): " + failure);
    }

    private static void run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + out.strip());
        }
    }

    /** Writes a filler file until the file system is full; returns it (delete it to free the space). */
    public Path fill() throws IOException {
        Path filler = mountPoint.resolve("filler");
        byte[] chunk = new byte[64 * 1024];
        try (var out = Files.newOutputStream(filler)) {
            while (true) {
                out.write(chunk);
            }
        } catch (IOException full) {
            if (!String.valueOf(full.getMessage()).contains("No space left on device")) {
                throw full;
            }
        }
        return filler;
    }

    @Override
    public void close() throws IOException {
        try {
            run(List.of("umount", mountPoint.toString()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted unmounting " + mountPoint, e);
        }
    }
}
