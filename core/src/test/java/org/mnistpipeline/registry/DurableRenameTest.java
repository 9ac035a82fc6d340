package org.mnistpipeline.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rename is durable only once its directory is forced to disk; without that, ext4 and XFS may
 * bring the old name back after a power cut (an alias rolled back by itself). What the process
 * really asks the kernel is read with strace: after the rename that publishes a file or package,
 * the directory it landed in is opened and fsync'd.
 */
class DurableRenameTest {
    private static final Pattern OPEN = Pattern.compile("openat\\(AT_FDCWD, \"([^\"]+)\", O_RDONLY[^)]*\\) = (\\d+)");

    @TempDir
    Path tmp;

    /** The system calls of {@code DurableWriteMain args}, as strace wrote them. */
    private List<String> syscalls(String... args) throws IOException, InterruptedException {
        Path strace = Path.of("/usr/bin/strace");
        assumeTrue(Files.isExecutable(strace), "strace is not installed (.ci/run installs it); durability unchecked");
        Path log = tmp.resolve("strace.log");
        List<String> command = new ArrayList<>(List.of(strace.toString(), "-f", "-qq", "-e",
                "trace=openat,rename,renameat,renameat2,fsync,fdatasync", "-o", log.toString(),
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx64m",
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                DurableWriteMain.class.getName()));
        command.addAll(List.of(args));
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(child.getInputStream().readAllBytes());
        assertThat(child.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assumeTrue(!output.contains("Operation not permitted"), "strace may not trace here: " + output);
        assertThat(child.exitValue()).as(output).isZero();
        return Files.readAllLines(log);
    }

    /** Asserts that a rename onto {@code target} is followed by an fsync of a descriptor opened on {@code dir}. */
    private static void assertDirectoryForcedAfterRename(List<String> calls, Path target, Path dir) {
        int renamed = -1;
        for (int i = 0; i < calls.size(); i++) {
            if (calls.get(i).contains("rename") && calls.get(i).contains("\"" + target + "\"")
                    && calls.get(i).endsWith("= 0")) {
                renamed = i;
            }
        }
        assertThat(renamed).as("a rename onto %s in %s", target, calls).isNotNegative();
        String fd = null;
        for (String call : calls.subList(renamed + 1, calls.size())) {
            Matcher open = OPEN.matcher(call);
            if (open.find() && open.group(1).equals(dir.toString())) {
                fd = open.group(2);
            } else if (fd != null && call.matches("\\d+\\s+fsync\\(" + fd + "\\)\\s+= 0")) {
                return;
            }
        }
        throw new AssertionError("no fsync of " + dir + " after the rename onto " + target + ":\n"
                + String.join("\n", calls.subList(renamed, calls.size())));
    }

    @Test
    void anAtomicWriteForcesItsDirectoryAfterTheRename() throws Exception {
        Path file = tmp.resolve("aliases/production.json");

        List<String> calls = syscalls("write", file.toString());

        assertThat(file).hasContent("{\"durable\": true}");
        assertDirectoryForcedAfterRename(calls, file, file.getParent());
    }

    @Test
    void promoteAndRegisterForceTheDirectoriesTheirRenamesLandIn() throws Exception {
        Path root = tmp.resolve("registry");
        LocalModelRegistry registry = new LocalModelRegistry(root);
        registry.register(TestPackages.staged(tmp.resolve("a")));
        registry.register(TestPackages.staged(tmp.resolve("b")));
        registry.promote("v1", "production");

        List<String> promote = syscalls("promote", root.toString(), "v2", "production");
        List<String> register = syscalls("register", root.toString(), TestPackages.staged(tmp.resolve("c")).toString());

        assertDirectoryForcedAfterRename(promote, root.resolve("aliases/production.json"), root.resolve("aliases"));
        assertDirectoryForcedAfterRename(register, root.resolve("models/v3"), root.resolve("models"));
        assertThat(registry.alias("production")).contains("v2");
        assertThat(registry.get("v3").manifest().version()).isEqualTo("v3");
    }
}
