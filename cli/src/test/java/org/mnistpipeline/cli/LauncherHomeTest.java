package org.mnistpipeline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code ./mnist} launcher itself, run by bash from a copy of the repository root whose JDK is
 * a stand-in that prints the command line it was given: the JVM must be told the same home as the
 * launcher's cache path uses ({@code HOME}), not left with the password file's.
 */
class LauncherHomeTest {
    @TempDir
    Path tmp;

    private static void executable(Path file, String content) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, content);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    /** Runs the launcher as {@code HOME=home ./mnist args}; returns what the stand-in java printed. */
    private String launch(Path home, String... args) throws Exception {
        Path root = tmp.resolve("repo");
        Path launcher = Path.of("").toAbsolutePath().getParent().resolve("mnist");
        executable(root.resolve("mnist"), Files.readString(launcher));
        Path jdk = tmp.resolve("jdk");
        executable(jdk.resolve("bin/java"), "#!/bin/sh\nfor a in \"$@\"; do echo \"arg $a\"; done\n");
        executable(jdk.resolve("bin/javac"), "#!/bin/sh\n");
        Files.writeString(jdk.resolve("release"), "JAVA_VERSION=\"25.0.1\"\n");
        executable(root.resolve("scripts/find-jdk"), "#!/bin/sh\necho " + jdk + "\n");
        Files.createDirectories(root.resolve("cli/target"));
        Files.writeString(root.resolve("cli/target/.built"), ""); // built, and no sources newer: no Maven run
        List<String> command = new java.util.ArrayList<>(List.of("bash", root.resolve("mnist").toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().keySet().removeIf(k -> k.startsWith("MNIST_") || k.startsWith("XDG_") || k.equals("JAVA_HOME"));
        pb.environment().put("HOME", home.toString());
        Process p = pb.redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }

    @Test
    void theCliJvmGetsHomeAsUserHomeNextToACacheUnderTheSameHome() throws Exception {
        Path home = tmp.resolve("x");

        String args = launch(home, "models", "list");

        assertThat(args.lines()).contains("arg -Duser.home=" + home,
                "arg -DDJL_CACHE_DIR=" + home.resolve(".cache/mnist-pipeline/djl"),
                "arg org.mnistpipeline.cli.MnistCli", "arg models", "arg list");
    }

    @Test
    void theServerJvmGetsHomeAsUserHomeToo() throws Exception {
        Path home = tmp.resolve("y");

        String args = launch(home, "serve", "--port", "0");

        assertThat(args.lines()).contains("arg -Duser.home=" + home, "arg org.mnistpipeline.server.ServerMain");
    }
}
