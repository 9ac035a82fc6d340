package org.mnistpipeline.inference;

import java.net.URISyntaxException;
import java.nio.file.Path;

/**
 * The committed fixture model: the "small" CNN (99.18% MNIST test accuracy) exported to ONNX by
 * OnnxExporter from /work/fixtures/small-v1, as a plain model directory (manifest.json, model.onnx,
 * SHA256SUMS; the weights are not needed to serve).
 */
final class Fixture {
    private Fixture() {}

    static Path smallV1() {
        try {
            return Path.of(Fixture.class.getResource("/fixtures/small-v1").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static OnnxPredictor predictor(PredictorOptions options) {
        return OnnxPredictor.load(new LocalModelLoader(smallV1()), options);
    }
}
