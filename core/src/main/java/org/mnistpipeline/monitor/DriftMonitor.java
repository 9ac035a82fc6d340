package org.mnistpipeline.monitor;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Compares what a served model saw recently with its {@link Baseline}: PSI per {@link Feature}
 * over the stored window summaries ({@link SummaryStore}). A plain function of stored summaries and a clock,
 * so the CLI, a cron job and the retraining pipeline's decide step all call the same thing.
 */
public final class DriftMonitor {
    /**
     * PSI above which a feature counts as drifted. Between the textbook "moderate" (0.1) and
     * "significant" (0.25) lines: taking the worst of seven features raises the odds that noise
     * alone crosses a low line, while the action on drift is a retraining run whose quality gate
     * still guards production, so an early alarm is cheap. An unshifted sample of
     * {@link #DEFAULT_MIN_SAMPLES} stays far below it (sampling noise is about
     * {@code (bins - 1) / samples}, 0.03 for ten bins).
     */
    public static final double DEFAULT_THRESHOLD = 0.2;
    /**
     * Fewer predictions than this give {@link DriftReport.Status#INSUFFICIENT_DATA}: PSI's
     * sampling noise falls like {@code 1 / samples}, and below a few hundred a handful of odd
     * images could cross the threshold on their own.
     */
    public static final long DEFAULT_MIN_SAMPLES = 300;

    private DriftMonitor() {}

    /**
     * Checks {@code modelVersion}'s predictions stored under {@code monitoringDir} in the window
     * {@code [now - window, now)} against {@code baseline}, with {@link #DEFAULT_MIN_SAMPLES}.
     *
     * @throws IllegalArgumentException if the baseline belongs to another model or the arguments
     *                                  are out of range
     */
    public static DriftReport check(Path monitoringDir, String modelVersion, Baseline baseline, Duration window,
            Instant now, double threshold) {
        return check(monitoringDir, modelVersion, baseline, window, now, threshold, DEFAULT_MIN_SAMPLES);
    }

    /** {@link #check(Path, String, Baseline, Duration, Instant, double)} with its own minimum sample count. */
    public static DriftReport check(Path monitoringDir, String modelVersion, Baseline baseline, Duration window,
            Instant now, double threshold, long minSamples) {
        return check(SummaryStore.local(monitoringDir), modelVersion, baseline, window, now, threshold, minSamples);
    }

    /** As {@link #check(Path, String, Baseline, Duration, Instant, double, long)}, on the summaries of {@code store}. */
    public static DriftReport check(SummaryStore store, String modelVersion, Baseline baseline, Duration window,
            Instant now, double threshold, long minSamples) {
        if (window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException("the window must be positive, got " + window);
        }
        if (!baseline.modelVersion().equals(modelVersion)) {
            throw new IllegalArgumentException("the baseline is of model " + baseline.modelVersion()
                    + ", not " + modelVersion + "; class and confidence histograms differ between models");
        }
        Instant from = now.minus(window);
        SummaryStore.Found found = store.read(modelVersion, from, now);
        PredictionSummary merged = PredictionSummary.empty(modelVersion, baseline.summary().numClasses(), from, now);
        for (PredictionSummary summary : found.summaries()) {
            merged = merged.merge(summary);
        }
        return compare(baseline, merged, threshold, minSamples, from, now, found.summaries().size(), found.skipped());
    }

    /** PSI of {@code window} against {@code baseline}, for summaries already in hand. */
    public static DriftReport compare(Baseline baseline, PredictionSummary window, double threshold, long minSamples) {
        return compare(baseline, window, threshold, minSamples, window.start(), window.end(), 1, 0);
    }

    private static DriftReport compare(Baseline baseline, PredictionSummary window, double threshold,
            long minSamples, Instant from, Instant to, int files, int skipped) {
        if (!(threshold > 0) || Double.isInfinite(threshold)) {
            throw new IllegalArgumentException("the PSI threshold must be a positive number, got " + threshold);
        }
        if (minSamples < 1) {
            throw new IllegalArgumentException("the minimum sample count must be at least 1, got " + minSamples);
        }
        if (baseline.summary().numClasses() != window.numClasses()) {
            throw new IllegalArgumentException("the baseline has " + baseline.summary().numClasses()
                    + " classes, the window " + window.numClasses());
        }
        Map<String, Double> psi = new LinkedHashMap<>();
        List<String> drifted = new ArrayList<>();
        String worst = null;
        double worstPsi = 0;
        if (window.samples() > 0) {
            for (Feature feature : Feature.values()) {
                double value = Psi.compute(baseline.summary().counts(feature), window.counts(feature));
                psi.put(feature.key(), value);
                if (value > threshold) {
                    drifted.add(feature.key());
                }
                if (worst == null || value > worstPsi) {
                    worst = feature.key();
                    worstPsi = value;
                }
            }
        }
        DriftReport.Status status = window.samples() < minSamples ? DriftReport.Status.INSUFFICIENT_DATA
                : drifted.isEmpty() ? DriftReport.Status.NO_DRIFT : DriftReport.Status.DRIFT;
        return new DriftReport(status, window.modelVersion(), from.toString(), to.toString(), window.samples(),
                minSamples, files, skipped, baseline.source(), baseline.summary().samples(), threshold, psi,
                List.copyOf(drifted), worst, worstPsi);
    }
}
