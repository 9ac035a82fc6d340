package org.mnistpipeline.pipeline;

import java.util.ArrayList;
import java.util.List;
import org.mnistpipeline.data.LabeledImages;
import org.mnistpipeline.inference.OnnxPredictor;
import org.mnistpipeline.inference.Prediction;
import org.mnistpipeline.inference.PredictorOptions;

/**
 * Accuracy as the server would score it: the exported ONNX graph in ONNX Runtime. Champion and
 * challenger are both judged this way, so the gate compares what would actually be served.
 */
public final class OnnxScoring {
    private static final int BATCH = 256;

    private OnnxScoring() {}

    /** Share of {@code images} whose predicted label is right. */
    public static double accuracy(byte[] onnx, String version, LabeledImages images) {
        if (images.size() == 0) {
            return Double.NaN;
        }
        try (OnnxPredictor predictor = OnnxPredictor.fromBytes(onnx, version, new PredictorOptions(2, BATCH))) {
            long correct = 0;
            for (int from = 0; from < images.size(); from += BATCH) {
                int to = Math.min(images.size(), from + BATCH);
                List<float[]> batch = new ArrayList<>(to - from);
                for (int i = from; i < to; i++) {
                    float[] x = new float[images.pixelsPerImage()];
                    images.imageAsFloats(i, x, 0);
                    batch.add(x);
                }
                List<Prediction> predictions = predictor.predictBatch(batch);
                for (int i = from; i < to; i++) {
                    correct += predictions.get(i - from).label() == images.label(i) ? 1 : 0;
                }
            }
            return (double) correct / images.size();
        }
    }
}
