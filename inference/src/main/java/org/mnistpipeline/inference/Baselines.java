package org.mnistpipeline.inference;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.mnistpipeline.data.LabeledImages;
import org.mnistpipeline.monitor.Baseline;
import org.mnistpipeline.monitor.SummaryAccumulator;

/**
 * Drift-monitoring baselines: a model's own predictions on a fixed set of images, summarised the
 * way the server summarises traffic. Through ONNX Runtime, as served, so the confidence
 * histogram is that of the model people actually call.
 */
public final class Baselines {
    /** Images per forward pass; bounds native memory while keeping passes efficient. */
    private static final int CHUNK = 256;

    private Baselines() {}

    /**
     * Runs {@code predictor} over every image of {@code images} (MNIST convention, 0..255) and
     * summarises the predictions under the predictor's model version.
     *
     * @param source says where the images came from, e.g. {@code "MNIST test set (10000 images)"}
     */
    public static Baseline compute(Predictor predictor, LabeledImages images, String source) {
        return compute(predictor, images, source, (prediction, index) -> { });
    }

    /**
     * {@link #compute(Predictor, LabeledImages, String)}, handing every prediction to {@code each}
     * with the index of its image: one pass serves both the baseline and an evaluation.
     */
    public static Baseline compute(Predictor predictor, LabeledImages images, String source,
            java.util.function.ObjIntConsumer<Prediction> each) {
        if (images.size() == 0) {
            throw new IllegalArgumentException("a baseline needs images; " + source + " has none");
        }
        SummaryAccumulator accumulator = new SummaryAccumulator(Math.max(10, images.numClasses()), images.cols());
        int n = images.pixelsPerImage();
        for (int from = 0; from < images.size(); from += CHUNK) {
            int to = Math.min(images.size(), from + CHUNK);
            List<float[]> batch = new ArrayList<>(to - from);
            for (int i = from; i < to; i++) {
                float[] x = new float[n];
                images.imageAsFloats(i, x, 0);
                batch.add(x);
            }
            List<Prediction> predictions = predictor.predictBatch(batch);
            for (int i = 0; i < batch.size(); i++) {
                accumulator.record(batch.get(i), predictions.get(i).label(), predictions.get(i).confidence());
                each.accept(predictions.get(i), from + i);
            }
        }
        Instant now = Instant.now();
        return Baseline.of(source, accumulator.drain(predictor.modelVersion(), now, now));
    }

    /** {@link #compute(Predictor, LabeledImages, String)} for an ONNX model given as bytes. */
    public static Baseline compute(byte[] onnx, String version, LabeledImages images, String source) {
        try (OnnxPredictor predictor = OnnxPredictor.fromBytes(onnx, version, PredictorOptions.defaults())) {
            return compute(predictor, images, source);
        }
    }
}
