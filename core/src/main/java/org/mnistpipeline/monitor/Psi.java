package org.mnistpipeline.monitor;

/**
 * Population stability index: how far a distribution ({@code actual}) has moved from a reference
 * ({@code expected}), {@code sum((a - e) * ln(a / e))} over bins of proportions. It is symmetric
 * (swapping the two gives the same value) and zero for identical distributions. The usual
 * reading (credit-scoring practice, where the index comes from): below 0.1 stable, 0.1 to 0.25 a
 * moderate shift worth watching, above 0.25 a significant shift.
 *
 * <p>An empty bin would make the logarithm infinite, so proportions are floored at
 * {@link #EPSILON}: a bin that was empty at training time and now holds 1 % of traffic adds about
 * {@code 0.01 * ln(0.01 / 1e-4) = 0.046}, a real but bounded signal.
 */
public final class Psi {
    public static final double EPSILON = 1e-4;

    private Psi() {}

    /**
     * PSI of {@code actual} against {@code expected}, both counts or proportions per bin (each is
     * normalised to sum to 1 first).
     *
     * @throws IllegalArgumentException for different bin counts, negative values or an empty side
     */
    public static double compute(double[] expected, double[] actual) {
        if (expected.length != actual.length || expected.length == 0) {
            throw new IllegalArgumentException("PSI needs two histograms with the same bins, got " + expected.length
                    + " and " + actual.length);
        }
        double e = total(expected, "expected");
        double a = total(actual, "actual");
        double psi = 0;
        for (int i = 0; i < expected.length; i++) {
            double p = Math.max(expected[i] / e, EPSILON);
            double q = Math.max(actual[i] / a, EPSILON);
            psi += (q - p) * Math.log(q / p);
        }
        return psi;
    }

    /** {@link #compute(double[], double[])} for counts. */
    public static double compute(long[] expected, long[] actual) {
        return compute(toDouble(expected), toDouble(actual));
    }

    private static double[] toDouble(long[] counts) {
        double[] out = new double[counts.length];
        for (int i = 0; i < counts.length; i++) {
            out[i] = counts[i];
        }
        return out;
    }

    private static double total(double[] values, String name) {
        double sum = 0;
        for (double v : values) {
            if (!(v >= 0) || Double.isInfinite(v)) {
                throw new IllegalArgumentException(name + " histogram has a negative or non-finite value: " + v);
            }
            sum += v;
        }
        if (sum == 0) {
            throw new IllegalArgumentException(name + " histogram is empty");
        }
        return sum;
    }
}
