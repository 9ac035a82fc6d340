package org.mnistpipeline.monitor;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The outcome of one drift check: PSI per {@link Feature} of a window of served predictions
 * against the model's {@link Baseline}.
 *
 * @param status          the verdict
 * @param modelVersion    the model checked
 * @param windowStart     ISO-8601 start of the window asked for
 * @param windowEnd       ISO-8601 end of the window asked for
 * @param samples         predictions found in the window
 * @param minSamples      fewer than this gives {@link Status#INSUFFICIENT_DATA}
 * @param summaryFiles    stored window summaries read
 * @param skippedFiles    stored summaries that could not be read (corrupt, other format)
 * @param baselineSource  where the baseline came from
 * @param baselineSamples predictions in the baseline
 * @param threshold       PSI above which a feature counts as drifted
 * @param psi             PSI by {@link Feature#key()}; empty when the window holds no samples
 * @param driftedFeatures features whose PSI is above the threshold
 * @param worstFeature    the feature with the largest PSI, or null with no samples
 * @param worstPsi        its PSI (0 with no samples)
 */
public record DriftReport(Status status, String modelVersion, String windowStart, String windowEnd, long samples,
        long minSamples, int summaryFiles, int skippedFiles, String baselineSource, long baselineSamples,
        double threshold, Map<String, Double> psi, List<String> driftedFeatures, String worstFeature,
        double worstPsi) {

    public enum Status {
        /** Enough samples, every feature's PSI at or below the threshold. */
        NO_DRIFT,
        /** Enough samples and at least one feature above the threshold. */
        DRIFT,
        /** Too few samples to tell drift from sampling noise: no verdict, not an alarm. */
        INSUFFICIENT_DATA
    }

    public boolean drifted() {
        return status == Status.DRIFT;
    }

    /** One line for people and logs. */
    public String verdict() {
        return switch (status) {
            case DRIFT -> String.format(Locale.ROOT, "DRIFT: model %s, %s PSI %.3f > %.2f (%s), %d samples",
                    modelVersion, worstFeature, worstPsi, threshold, String.join(", ", driftedFeatures), samples);
            case NO_DRIFT -> String.format(Locale.ROOT,
                    "no drift: model %s, largest PSI %.3f (%s) <= %.2f, %d samples", modelVersion, worstPsi,
                    worstFeature, threshold, samples);
            case INSUFFICIENT_DATA -> String.format(Locale.ROOT,
                    "insufficient data: model %s, %d samples in the window, %d needed", modelVersion, samples,
                    minSamples);
        };
    }
}
