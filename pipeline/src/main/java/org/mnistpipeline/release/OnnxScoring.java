package org.mnistpipeline.release;

import java.util.ArrayList;
import java.util.List;
import org.mnistpipeline.data.LabeledImages;
import org.mnistpipeline.eval.Evaluation;
import org.mnistpipeline.eval.Evaluator;
import org.mnistpipeline.inference.Baselines;
import org.mnistpipeline.inference.OnnxPredictor;
import org.mnistpipeline.inference.Prediction;
import org.mnistpipeline.inference.PredictorOptions;
import org.mnistpipeline.monitor.Baseline;

/**
 * Scoring as the server scores: the exported ONNX graph in ONNX Runtime. Champion, challenger and
 * every released model are judged this way, so the numbers are those of what is actually served.
 */
public final class OnnxScoring {
    private static final int BATCH = 256;

    private OnnxScoring() {}

    /** A full evaluation and the drift baseline, from one pass over {@code images}. */
    public record Scored(Evaluation evaluation, Baseline baseline) {}

    /**
     * Evaluates {@code onnx} on {@code images} (metrics by core's Evaluator) and summarises the same
     * predictions as the drift-monitoring baseline, in one pass.
     */
    public static Scored evaluate(byte[] onnx, String version, LabeledImages images, String source) {
        float[][] probabilities = new float[images.size()][];
        Baseline baseline;
        try (OnnxPredictor predictor = OnnxPredictor.fromBytes(onnx, version, new PredictorOptions(2, BATCH))) {
            baseline = Baselines.compute(predictor, images, source,
                    (prediction, index) -> probabilities[index] = prediction.probabilities());
        }
        int[] labels = new int[images.size()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = images.label(i);
        }
        return new Scored(Evaluator.evaluate(labels, probabilities, images.numClasses()), baseline);
    }

    /** Share of {@code images} whose predicted label is right; NaN for none. */
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
