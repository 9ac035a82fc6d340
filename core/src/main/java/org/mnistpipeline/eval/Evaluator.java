package org.mnistpipeline.eval;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Turns predicted class probabilities and true labels into an {@link Evaluation}. Pure Java and
 * engine-free, so training, the CLI and servers measure models the same way.
 *
 * <p>The prediction for an example is the class with the highest probability (the lowest label
 * wins a tie) and its confidence is that probability. Calibration follows Guo et al. (2017),
 * "On Calibration of Modern Neural Networks": {@code bins} equal-width bins over [0, 1], bin
 * {@code m} holding confidences in {@code ((m-1)/bins, m/bins]}; ECE is the count-weighted mean of
 * |accuracy - mean confidence| over the bins.
 *
 * <p>Undefined ratios (precision of a class never predicted, recall of a class absent from the
 * labels, statistics of an empty calibration bin) are reported as 0 rather than NaN: JSON has no
 * NaN, and a report reader should see "never predicted" as 0, not as a parse error.
 */
public final class Evaluator {
    /** Calibration bins when none are given; 15 is the usual choice in the calibration literature. */
    public static final int DEFAULT_BINS = 15;

    /** Worst mistakes kept when no count is given: enough for a 4x4 thumbnail grid. */
    public static final int DEFAULT_WORST = 16;

    /** Floor for the true-class probability in log loss, so one confident mistake stays finite. */
    public static final double LOG_LOSS_EPSILON = 1e-7;

    /** How far a probability row may sum from 1: float softmax outputs drift by ~1e-7 per class. */
    public static final double ROW_SUM_TOLERANCE = 1e-3;

    private Evaluator() {}

    /** Evaluates with {@link #DEFAULT_BINS} calibration bins and the {@link #DEFAULT_WORST} worst mistakes. */
    public static Evaluation evaluate(int[] labels, float[][] probabilities, int numClasses) {
        return evaluate(labels, probabilities, numClasses, DEFAULT_BINS, DEFAULT_WORST);
    }

    /**
     * Evaluates predictions against labels.
     *
     * @param labels        true class of each example, in {@code [0, numClasses)}
     * @param probabilities one row per example, {@code numClasses} non-negative entries summing to 1
     *                      (within {@link #ROW_SUM_TOLERANCE}); see {@link #softmax} for logits
     * @param numClasses    number of classes, at least 1
     * @param bins          calibration bins, at least 1
     * @param worstK        how many of the most confident mistakes to keep, at least 0
     * @throws IllegalArgumentException if the inputs are inconsistent; the message names the example
     */
    public static Evaluation evaluate(int[] labels, float[][] probabilities, int numClasses, int bins, int worstK) {
        validate(labels, probabilities, numClasses, bins, worstK);
        int n = labels.length;

        int[][] confusion = new int[numClasses][numClasses];
        int[] binCount = new int[bins];
        int[] binCorrect = new int[bins];
        double[] binConfidence = new double[bins];
        List<Evaluation.Mistake> mistakes = new ArrayList<>();
        int correct = 0;
        double logLossSum = 0;

        for (int i = 0; i < n; i++) {
            float[] row = probabilities[i];
            int predicted = argmax(row);
            double confidence = row[predicted];
            int actual = labels[i];
            confusion[actual][predicted]++;

            // Clamp above too: rows may sum to slightly more than 1, and a negative loss is nonsense.
            double pTrue = Math.min(1.0, Math.max(LOG_LOSS_EPSILON, row[actual]));
            logLossSum -= Math.log(pTrue);

            int bin = binIndex(confidence, bins);
            binCount[bin]++;
            binConfidence[bin] += confidence;
            if (predicted == actual) {
                correct++;
                binCorrect[bin]++;
            } else {
                mistakes.add(new Evaluation.Mistake(i, actual, predicted, confidence));
            }
        }

        List<Evaluation.CalibrationBin> calibration = new ArrayList<>(bins);
        double ece = 0;
        for (int b = 0; b < bins; b++) {
            int count = binCount[b];
            double meanConfidence = count == 0 ? 0 : binConfidence[b] / count;
            double accuracy = count == 0 ? 0 : (double) binCorrect[b] / count;
            calibration.add(new Evaluation.CalibrationBin((double) b / bins, (double) (b + 1) / bins, count,
                    meanConfidence, accuracy));
            ece += (double) count / n * Math.abs(accuracy - meanConfidence);
        }

        // Most confident first; the index breaks ties so the order is reproducible.
        mistakes.sort(Comparator.comparingDouble(Evaluation.Mistake::confidence).reversed()
                .thenComparingInt(Evaluation.Mistake::index));
        List<Evaluation.Mistake> worst = List.copyOf(mistakes.subList(0, Math.min(worstK, mistakes.size())));

        return new Evaluation(n, (double) correct / n, logLossSum / n, ece, perClass(confusion),
                confusion, List.copyOf(calibration), worst);
    }

    /**
     * Softmax of one row of logits. Subtracts the largest logit before exponentiating, so large
     * logits (e.g. 1000) do not overflow to infinity; {@code -Infinity} logits get probability 0.
     *
     * @throws IllegalArgumentException if {@code logits} is empty, holds NaN or {@code +Infinity},
     *                                  or is all {@code -Infinity}
     */
    public static float[] softmax(float[] logits) {
        if (logits.length == 0) {
            throw new IllegalArgumentException("softmax needs at least one logit");
        }
        float max = Float.NEGATIVE_INFINITY;
        for (float logit : logits) {
            if (Float.isNaN(logit) || logit == Float.POSITIVE_INFINITY) {
                throw new IllegalArgumentException("logits must be finite or -Infinity, got " + logit);
            }
            max = Math.max(max, logit);
        }
        if (max == Float.NEGATIVE_INFINITY) {
            throw new IllegalArgumentException("all logits are -Infinity: no class has any probability");
        }
        // Sum in double: with many classes float accumulation would drift from 1.
        double[] exp = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < logits.length; i++) {
            exp[i] = Math.exp((double) logits[i] - max);
            sum += exp[i];
        }
        float[] out = new float[logits.length];
        for (int i = 0; i < logits.length; i++) {
            out[i] = (float) (exp[i] / sum);
        }
        return out;
    }

    private static List<Evaluation.ClassMetrics> perClass(int[][] confusion) {
        int k = confusion.length;
        List<Evaluation.ClassMetrics> result = new ArrayList<>(k);
        for (int c = 0; c < k; c++) {
            int truePositives = confusion[c][c];
            int support = 0;
            int predictedAs = 0;
            for (int j = 0; j < k; j++) {
                support += confusion[c][j];
                predictedAs += confusion[j][c];
            }
            double precision = predictedAs == 0 ? 0 : (double) truePositives / predictedAs;
            double recall = support == 0 ? 0 : (double) truePositives / support;
            double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            result.add(new Evaluation.ClassMetrics(c, precision, recall, f1, support));
        }
        return List.copyOf(result);
    }

    /** The index of the largest value, the first on ties: the predicted class of a row of scores. */
    public static int argmax(float[] row) {
        int best = 0;
        for (int j = 1; j < row.length; j++) {
            if (row[j] > row[best]) {
                best = j;
            }
        }
        return best;
    }

    /** Bin {@code m} (0-based) holds {@code (m/bins, (m+1)/bins]}; confidence 0 joins the first bin. */
    private static int binIndex(double confidence, int bins) {
        int index = (int) Math.ceil(confidence * bins) - 1;
        return Math.max(0, Math.min(bins - 1, index));
    }

    private static void validate(int[] labels, float[][] probabilities, int numClasses, int bins, int worstK) {
        if (labels == null || probabilities == null) {
            throw new IllegalArgumentException("labels and probabilities are required");
        }
        if (labels.length != probabilities.length) {
            throw new IllegalArgumentException(labels.length + " labels but " + probabilities.length
                    + " probability rows: pass one row per labelled example");
        }
        if (labels.length == 0) {
            throw new IllegalArgumentException("nothing to evaluate: no examples given");
        }
        if (numClasses < 1) {
            throw new IllegalArgumentException("number of classes must be at least 1, got " + numClasses);
        }
        if (bins < 1) {
            throw new IllegalArgumentException("calibration bins must be at least 1, got " + bins);
        }
        if (worstK < 0) {
            throw new IllegalArgumentException("worst-mistake count must not be negative, got " + worstK);
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= numClasses) {
                throw new IllegalArgumentException("example " + i + ": label " + labels[i] + " outside [0, "
                        + numClasses + ")");
            }
            float[] row = probabilities[i];
            if (row == null || row.length != numClasses) {
                throw new IllegalArgumentException("example " + i + ": expected " + numClasses
                        + " probabilities, got " + (row == null ? "none" : row.length));
            }
            double sum = 0;
            for (int j = 0; j < row.length; j++) {
                float p = row[j];
                if (!(p >= 0) || Float.isInfinite(p)) {
                    throw new IllegalArgumentException("example " + i + ": probability of class " + j + " is " + p
                            + "; expected a value in [0, 1]");
                }
                sum += p;
            }
            if (Math.abs(sum - 1) > ROW_SUM_TOLERANCE) {
                throw new IllegalArgumentException("example " + i + ": probabilities sum to " + sum
                        + ", not 1; apply Evaluator.softmax to logits first");
            }
        }
    }
}
