package org.mnistpipeline.monitor;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts predictions into the {@link Feature} histograms as they happen. Thread-safe and
 * lock-free: every bin is a {@link LongAdder}, so concurrent request threads add without
 * contending on one cache line, and {@link #record} allocates nothing of note (the
 * {@link InputStats} record at most). {@link #drain} reads and zeroes each bin atomically, so a
 * prediction recorded during a drain is counted in this window or the next, never lost; its bins
 * may straddle the two windows, which does not matter for histograms of hundreds of samples.
 */
public final class SummaryAccumulator {
    private final int numClasses;
    private final int imageCols;
    private final LongAdder[][] bins;

    /**
     * @param numClasses classes the model predicts (10 for MNIST)
     * @param imageCols  width of the model's input images (28 for MNIST), for the input statistics
     */
    public SummaryAccumulator(int numClasses, int imageCols) {
        if (numClasses < 1 || imageCols < 1) {
            throw new IllegalArgumentException("numClasses and imageCols must be positive, got " + numClasses
                    + " and " + imageCols);
        }
        this.numClasses = numClasses;
        this.imageCols = imageCols;
        Feature[] features = Feature.values();
        this.bins = new LongAdder[features.length][];
        for (Feature feature : features) {
            LongAdder[] row = new LongAdder[feature.bins(numClasses)];
            for (int i = 0; i < row.length; i++) {
                row[i] = new LongAdder();
            }
            bins[feature.ordinal()] = row;
        }
    }

    /** An accumulator for MNIST: 10 classes, 28 pixels wide. */
    public static SummaryAccumulator mnist() {
        return new SummaryAccumulator(10, 28);
    }

    public int numClasses() {
        return numClasses;
    }

    /**
     * Counts one prediction: the predicted class, its confidence and statistics of the input the
     * model saw.
     *
     * @throws IllegalArgumentException if {@code predictedClass} is outside {@code [0, numClasses)}
     */
    public void record(float[] image, int predictedClass, float confidence) {
        if (predictedClass < 0 || predictedClass >= numClasses) {
            throw new IllegalArgumentException("predicted class " + predictedClass + " outside [0, " + numClasses + ")");
        }
        InputStats stats = InputStats.measure(image, imageCols);
        add(Feature.CONFIDENCE, Feature.CONFIDENCE.bin(confidence));
        add(Feature.MEAN_INTENSITY, Feature.MEAN_INTENSITY.bin(stats.meanIntensity()));
        add(Feature.INK_FRACTION, Feature.INK_FRACTION.bin(stats.inkFraction()));
        add(Feature.INK_WIDTH, Feature.INK_WIDTH.bin(stats.inkWidth()));
        add(Feature.INK_HEIGHT, Feature.INK_HEIGHT.bin(stats.inkHeight()));
        add(Feature.SLANT, Feature.SLANT.bin(stats.slant()));
        // Last: samples are the class counts, so a concurrent drain never sees a class without the rest.
        add(Feature.PREDICTED_CLASS, predictedClass);
    }

    private void add(Feature feature, int bin) {
        bins[feature.ordinal()][bin].increment();
    }

    /** Predictions recorded since the last {@link #drain} (exact when no thread is recording). */
    public long samples() {
        long sum = 0;
        for (LongAdder a : bins[Feature.PREDICTED_CLASS.ordinal()]) {
            sum += a.sum();
        }
        return sum;
    }

    /** The counts so far, leaving them in place. */
    public PredictionSummary snapshot(String modelVersion, Instant start, Instant end) {
        return summary(modelVersion, start, end, false);
    }

    /** The counts so far, zeroing them: the summary of a window that ends now. */
    public PredictionSummary drain(String modelVersion, Instant start, Instant end) {
        return summary(modelVersion, start, end, true);
    }

    private PredictionSummary summary(String modelVersion, Instant start, Instant end, boolean reset) {
        Map<String, List<Long>> histograms = new LinkedHashMap<>();
        long samples = 0;
        for (Feature feature : Feature.values()) {
            LongAdder[] row = bins[feature.ordinal()];
            List<Long> counts = new ArrayList<>(row.length);
            for (LongAdder a : row) {
                counts.add(reset ? a.sumThenReset() : a.sum());
            }
            if (feature == Feature.PREDICTED_CLASS) {
                samples = counts.stream().mapToLong(Long::longValue).sum();
            }
            histograms.put(feature.key(), counts);
        }
        return new PredictionSummary(PredictionSummary.FORMAT_VERSION, modelVersion, start.toString(), end.toString(),
                samples, histograms);
    }
}
