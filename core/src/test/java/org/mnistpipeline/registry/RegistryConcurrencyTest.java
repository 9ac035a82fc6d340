package org.mnistpipeline.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mnistpipeline.model.ModelManifest;

class RegistryConcurrencyTest {
    @TempDir
    Path tmp;

    @Test
    @Timeout(60)
    void concurrentRegistrationsThroughTwoInstancesGetDistinctConsecutiveVersions() throws Exception {
        Path root = tmp.resolve("registry");
        Path staged = TestPackages.staged(tmp.resolve("staged"));
        // Two instances over one root behave like two processes as far as the lock file goes.
        List<LocalModelRegistry> registries = List.of(new LocalModelRegistry(root), new LocalModelRegistry(root));
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<String>> versions = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                LocalModelRegistry registry = registries.get(i % 2);
                versions.add(pool.submit(() -> registry.register(staged).version()));
            }
            List<String> assigned = new ArrayList<>();
            for (Future<String> version : versions) {
                assigned.add(version.get());
            }

            List<String> expected = IntStream.rangeClosed(1, 12).mapToObj(n -> "v" + n).toList();
            assertThat(assigned).containsExactlyInAnyOrderElementsOf(expected);
            assertThat(registries.get(0).list()).extracting(ModelManifest::version).containsExactlyElementsOf(expected);
            expected.forEach(v -> assertThat(registries.get(1).get(v).manifest().version()).isEqualTo(v));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @Timeout(120)
    void writerInAnotherProcessWaitsForTheRegistryLock() throws Exception {
        Path root = tmp.resolve("registry");
        Files.createDirectories(root);
        Path staged = TestPackages.staged(tmp.resolve("staged"));
        Process child;
        try (FileChannel channel = FileChannel.open(root.resolve(".lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
                FileLock held = channel.lock()) {
            child = startRegisterProcess(root, staged, 1);
            // The child copies into a staging directory before it asks for the lock.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!hasStagingDirectory(root) && child.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            Thread.sleep(500);

            assertThat(child.isAlive()).as("child blocked on the lock").isTrue();
            assertThat(root.resolve("models/v1")).doesNotExist();
        }
        assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(child.exitValue()).as(new String(child.getInputStream().readAllBytes())).isZero();
        assertThat(new LocalModelRegistry(root).get("v1").manifest().version()).isEqualTo("v1");
    }

    @Test
    @Timeout(120)
    void twoProcessesRegisteringAtOnceNeverShareAVersion() throws Exception {
        Path root = tmp.resolve("registry");
        Path staged = TestPackages.staged(tmp.resolve("staged"));

        Process first = startRegisterProcess(root, staged, 5);
        Process second = startRegisterProcess(root, staged, 5);
        List<String> assigned = new ArrayList<>();
        for (Process process : List.of(first, second)) {
            assertThat(process.waitFor(90, TimeUnit.SECONDS)).isTrue();
            String output = new String(process.getInputStream().readAllBytes());
            assertThat(process.exitValue()).as(output).isZero();
            assigned.addAll(output.lines().toList());
        }

        List<String> expected = IntStream.rangeClosed(1, 10).mapToObj(n -> "v" + n).toList();
        assertThat(assigned).containsExactlyInAnyOrderElementsOf(expected);
        LocalModelRegistry registry = new LocalModelRegistry(root);
        assertThat(registry.list()).extracting(ModelManifest::version).containsExactlyElementsOf(expected);
        expected.forEach(v -> assertThat(registry.get(v).manifest().version()).isEqualTo(v));
    }

    private static Process startRegisterProcess(Path root, Path staged, int count) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, "-Xmx64m", "-XX:TieredStopAtLevel=1", "-cp",
                System.getProperty("java.class.path"), RegisterMain.class.getName(),
                root.toString(), staged.toString(), Integer.toString(count))
                .redirectErrorStream(true)
                .start();
    }

    private static boolean hasStagingDirectory(Path root) throws IOException {
        try (var entries = Files.list(root)) {
            return entries.anyMatch(p -> p.getFileName().toString().startsWith(".staging-"));
        }
    }
}
