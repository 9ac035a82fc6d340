package org.mnistpipeline.registry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.mnistpipeline.data.DataFingerprint;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.model.Architectures;
import org.mnistpipeline.model.Hyperparameters;
import org.mnistpipeline.model.ModelManifest;

/** Builds small, unsealed model packages on disk for tests: a real manifest and a tiny weights file. */
final class TestPackages {
    static final String WEIGHTS = "weights.params";

    private TestPackages() {}

    static ModelManifest manifest() {
        return manifest(ModelManifest.FORMAT_VERSION);
    }

    static ModelManifest manifest(int formatVersion) {
        DataFingerprint fingerprint = DataFingerprint.of(Map.of(
                "train-images", "a".repeat(64), "train-labels", "b".repeat(64)));
        return new ModelManifest(formatVersion, "", "2025-01-02T03:04:05Z",
                Architectures.small(new int[] {1, 28, 28}, 10, 1f), Hyperparameters.fastDefaults(),
                new ModelManifest.DataInfo("test", fingerprint, 100, 10, 10, 10),
                Map.of("testAccuracy", 0.98), null, Map.of("java.version", "21"), WEIGHTS);
    }

    /** Writes manifest.json, the weights and a small report into {@code dir}; does not seal. */
    static Path staged(Path dir, String weightsContent) throws IOException {
        Files.createDirectories(dir.resolve("report"));
        Json.writeAtomically(dir.resolve("manifest.json"), manifest());
        Files.writeString(dir.resolve(WEIGHTS), weightsContent);
        Files.writeString(dir.resolve("report/metrics.json"), "{\"testAccuracy\": 0.98}\n");
        return dir;
    }

    static Path staged(Path dir) throws IOException {
        return staged(dir, "tiny weights 0123456789");
    }
}
