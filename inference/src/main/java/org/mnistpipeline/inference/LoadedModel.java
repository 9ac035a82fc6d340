package org.mnistpipeline.inference;

import java.util.Optional;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.model.ModelManifest;

/**
 * A model ready to run: the ONNX bytes (already checked against the source's checksums, when it
 * has them) and the version predictions will report.
 *
 * @param version      registry version such as {@code v7}
 * @param onnx         the ONNX model
 * @param manifestJson the bytes of {@code manifest.json}, or null when the source has none
 * @param source       where it came from, for logs and error messages
 */
public record LoadedModel(String version, byte[] onnx, byte[] manifestJson, String source) {
    public LoadedModel {
        if (version == null || version.isBlank()) {
            throw new IllegalArgumentException("model version must not be blank");
        }
        if (onnx == null || onnx.length == 0) {
            throw new IllegalArgumentException("ONNX model from " + source + " is empty");
        }
    }

    /**
     * The manifest, bound on request: binding it needs Jackson's ObjectMapper, which costs a
     * few hundred milliseconds of a cold start that serving alone does not need.
     */
    public Optional<ModelManifest> manifest() {
        return manifestJson == null ? Optional.empty()
                : Optional.of(Json.parse(new String(manifestJson, java.nio.charset.StandardCharsets.UTF_8),
                        ModelManifest.class));
    }

    @Override
    public String toString() {
        return "LoadedModel[" + version + ", " + onnx.length + " bytes from " + source + "]";
    }
}
