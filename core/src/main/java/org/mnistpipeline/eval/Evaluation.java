package org.mnistpipeline.eval;

import java.util.List;

/**
 * Everything measured on one labelled set: the facts in {@code metrics.json} and the report.
 *
 * @param count              images evaluated
 * @param accuracy           share predicted correctly
 * @param logLoss            mean negative log-likelihood of the true class
 * @param expectedCalibrationError ECE over {@code calibration.size()} equal-width confidence bins
 * @param perClass           precision, recall, F1 and support per class, indexed by label
 * @param confusion          {@code confusion[actual][predicted]} counts
 * @param calibration        one entry per confidence bin (reliability diagram data)
 * @param worst              the most confident mistakes, most confident first
 */
public record Evaluation(
        int count,
        double accuracy,
        double logLoss,
        double expectedCalibrationError,
        List<ClassMetrics> perClass,
        int[][] confusion,
        List<CalibrationBin> calibration,
        List<Mistake> worst) {

    public record ClassMetrics(int label, double precision, double recall, double f1, int support) {}

    public record CalibrationBin(double lower, double upper, int count, double meanConfidence, double accuracy) {}

    /** A misclassified image: its index in the evaluated set, true and predicted label, confidence. */
    public record Mistake(int index, int actual, int predicted, double confidence) {}
}
