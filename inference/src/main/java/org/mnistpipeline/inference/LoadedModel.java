package org.mnistpipeline.inference;

import java.util.Optional;
import org.mnistpipeline.model.ModelManifest;

/**
 * A model ready to run: the ONNX bytes (already checked against the package checksums, when the
 * source has them) and the version predictions will report.
 *
 * @param version  registry version such as {@code v7}
 * @param onnx     the ONNX model
 * @param manifest the package manifest, when the source had a readable one
 * @param source   where it came from, for logs and error messages
 */
public record LoadedModel(String version, byte[] onnx, Optional<ModelManifest> manifest, String source) {
    public LoadedModel {
        if (version == null || version.isBlank()) {
            throw new IllegalArgumentException("model version must not be blank");
        }
        if (onnx == null || onnx.length == 0) {
            throw new IllegalArgumentException("ONNX model from " + source + " is empty");
        }
    }

    @Override
    public String toString() {
        return "LoadedModel[" + version + ", " + onnx.length + " bytes from " + source + "]";
    }
}
