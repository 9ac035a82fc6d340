package org.mnistpipeline.cli;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The container's own entry point, and an /app tree for it made of this test JVM's class path. */
final class ContainerTrees {
    private ContainerTrees() {}

    /** {@code docker/entrypoint.sh} of this checkout. */
    static Path entrypoint() {
        return Path.of(System.getProperty("user.dir")).getParent().resolve("docker/entrypoint.sh");
    }

    /**
     * An /app-shaped tree under {@code tmp} whose jars are this test's class path: every entry linked in as
     * {@code NNN.jar} (the java launcher expands {@code lib/*} by name; a directory behind a .jar name still loads
     * as a directory).
     */
    static Path appHome(Path tmp) throws IOException {
        String[] entries = System.getProperty("java.class.path").split(File.pathSeparator);
        Path app = tmp.resolve("app");
        for (String part : List.of("cli", "server")) {
            Path lib = Files.createDirectories(app.resolve(part).resolve("lib"));
            for (int i = 0; i < entries.length; i++) {
                Files.createSymbolicLink(lib.resolve(String.format("%03d.jar", i)), Path.of(entries[i]).toAbsolutePath());
            }
            // The module jar itself: an empty directory is a valid class path entry.
            Files.createDirectories(tmp.resolve("empty"));
            Files.createSymbolicLink(app.resolve(part).resolve("mnist-" + part + ".jar"), tmp.resolve("empty"));
        }
        return app;
    }
}
