package org.mnistpipeline.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import org.mnistpipeline.io.Sha256;

/**
 * The small real model the inference branch exports (test accuracy 99.2 %), copied into a temp
 * directory per test so that tests can relabel it.
 */
final class Fixtures {
    static final String VERSION = "v1";
    private static final List<String> FILES = List.of("model.onnx", "manifest.json", "SHA256SUMS");

    private Fixtures() {}

    /** A plain model directory (model.onnx, manifest.json, SHA256SUMS) at {@code dir}. */
    static Path modelDir(Path dir) {
        try {
            Files.createDirectories(dir);
            for (String file : FILES) {
                copyResource("/fixtures/small-v1/" + file, dir.resolve(file));
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A staged registry package: manifest, the weights it names and model.onnx, not sealed. */
    static Path stagedPackage(Path dir) {
        modelDir(dir);
        try {
            Files.delete(dir.resolve("SHA256SUMS"));
            copyResource("/fixtures/small-v1.weights.safetensors", dir.resolve("weights.safetensors"));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Makes the model in {@code dir} claim {@code version}: a new manifest, then new checksums, as a
     * deployment tool would write them (checksums last, each file replaced atomically).
     */
    static void relabel(Path dir, String version) {
        try {
            String manifest = Files.readString(dir.resolve("manifest.json"))
                    .replaceFirst("\"version\"\\s*:\\s*\"[^\"]*\"", "\"version\" : \"" + version + "\"");
            replace(dir.resolve("manifest.json"), manifest);
            SortedMap<String, String> sums = new TreeMap<>();
            for (String file : List.of("manifest.json", "model.onnx")) {
                sums.put(file, Sha256.of(dir.resolve(file)));
            }
            StringBuilder text = new StringBuilder();
            sums.forEach((file, sum) -> text.append(sum).append("  ").append(file).append('\n'));
            replace(dir.resolve("SHA256SUMS"), text.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A test configuration: loopback, a free port, fast reload polling. */
    static ServerConfig config(Path modelDir) {
        return ServerConfig.builder(ModelSource.directory(modelDir)).port(0)
                .reloadInterval(Duration.ofMillis(100)).shutdownGrace(Duration.ofSeconds(5)).build();
    }

    /** Starts a server and waits until /ping would answer 200. */
    static ModelServer startReady(ServerConfig config) {
        ModelServer server = ModelServer.start(config);
        try {
            if (!server.awaitReady(Duration.ofSeconds(30))) {
                server.close();
                throw new AssertionError("server did not become ready within 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
        return server;
    }

    private static void copyResource(String resource, Path target) throws IOException {
        try (InputStream in = Fixtures.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("test resource " + resource + " is missing");
            }
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static void replace(Path file, String content) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, content, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
