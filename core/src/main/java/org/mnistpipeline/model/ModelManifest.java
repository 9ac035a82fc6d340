package org.mnistpipeline.model;

import java.util.Map;
import org.mnistpipeline.data.DataFingerprint;

/**
 * The self-description of a model package, written as {@code manifest.json}. Like Tribuo's
 * provenance it records how and from what the model was made, so it can be reproduced,
 * audited and rebuilt by another engine (e.g. exported to ONNX) from the spec and weights alone.
 *
 * @param formatVersion  on-disk format of the package; readers reject versions they do not know
 * @param version        registry version such as {@code v7}; empty until registered
 * @param createdAt      ISO-8601 instant of creation
 * @param architecture   the network, as data
 * @param hyperparameters how it was trained
 * @param data           what it was trained on
 * @param metrics        headline numbers (test accuracy etc.); the full set is in {@code metrics.json}
 * @param parent         version this model was derived from (warm start), or null
 * @param provenance     library, JVM, OS and hardware facts (floating-point results depend on them)
 * @param weightsFile    file name of the weights inside the package
 */
public record ModelManifest(
        int formatVersion,
        String version,
        String createdAt,
        ArchitectureSpec architecture,
        Hyperparameters hyperparameters,
        DataInfo data,
        Map<String, Double> metrics,
        String parent,
        Map<String, String> provenance,
        String weightsFile) {

    public static final int FORMAT_VERSION = 1;

    /** What the model was trained on. */
    public record DataInfo(String source, DataFingerprint fingerprint, int trainImages, int validationImages,
            int testImages, int numClasses) {}

    public ModelManifest withVersion(String newVersion) {
        return new ModelManifest(formatVersion, newVersion, createdAt, architecture, hyperparameters, data, metrics,
                parent, provenance, weightsFile);
    }
}
