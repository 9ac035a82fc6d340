package org.mnistpipeline.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocationsTest {
    @TempDir
    Path tmp;

    @Test
    void homeIsTheEnvironmentsHomeWhenSetAndUserHomeOtherwise() {
        assertThat(Locations.userHome(Map.of("HOME", "/x"), "/etc-passwd-home")).isEqualTo(Path.of("/x"));
        assertThat(Locations.userHome(Map.of(), "/etc-passwd-home")).isEqualTo(Path.of("/etc-passwd-home"));
        assertThat(Locations.userHome(Map.of("HOME", ""), "/etc-passwd-home")).isEqualTo(Path.of("/etc-passwd-home"));
        assertThat(Locations.userHome(Map.of("HOME", "relative"), "/p")).isEqualTo(Path.of("/p"));
    }

    @Test
    void aJvmWhoseUserHomeComesFromThePasswordFileStillKeepsEverythingUnderHome() throws Exception {
        // What the JDK does with HOME=/x: user.home stays the password file's; here that is played by -D.
        Path home = tmp.resolve("x");
        ProcessBuilder pb = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-Duser.home=" + tmp.resolve("passwd-home"), "-cp", System.getProperty("java.class.path"),
                PrintLocationsMain.class.getName())).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("MNIST_") || k.startsWith("XDG_"));
        pb.environment().put("HOME", home.toString());
        Process child = pb.start();
        String out = new String(child.getInputStream().readAllBytes());
        assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();

        assertThat(out).contains("registry " + home.resolve(".mnist-pipeline/registry"))
                .contains("cache " + home.resolve(".cache/mnist-pipeline"));
    }
}
