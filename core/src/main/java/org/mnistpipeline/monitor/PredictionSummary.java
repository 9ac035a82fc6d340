package org.mnistpipeline.monitor;

import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.mnistpipeline.io.Json;

/**
 * Aggregated predictions of one model over one time window: a histogram per {@link Feature},
 * nothing about any single request (no payloads, no labels of individual images). Summaries of
 * the same model merge by adding counts, so windows, server instances and Lambda functions can be
 * combined in any order.
 *
 * @param formatVersion {@link #FORMAT_VERSION}; other versions are refused when read
 * @param modelVersion  the model that answered, e.g. {@code v7}
 * @param windowStart   ISO-8601 instant, inclusive
 * @param windowEnd     ISO-8601 instant, exclusive
 * @param samples       predictions summarised (the sum of the predicted-class histogram)
 * @param histograms    counts per bin, keyed by {@link Feature#key()}, every feature present
 */
public record PredictionSummary(int formatVersion, String modelVersion, String windowStart, String windowEnd,
        long samples, Map<String, List<Long>> histograms) {
    public static final int FORMAT_VERSION = 1;

    public PredictionSummary {
        if (formatVersion != FORMAT_VERSION) {
            throw new IllegalArgumentException("prediction summary format " + formatVersion
                    + " is not supported (this build reads " + FORMAT_VERSION + ")");
        }
        Objects.requireNonNull(modelVersion, "modelVersion");
        Objects.requireNonNull(histograms, "histograms");
        Instant start = parse(windowStart, "windowStart");
        Instant end = parse(windowEnd, "windowEnd");
        if (end.isBefore(start)) {
            throw new IllegalArgumentException("window ends (" + windowEnd + ") before it starts (" + windowStart + ")");
        }
        Map<String, List<Long>> copy = new LinkedHashMap<>();
        for (Feature feature : Feature.values()) {
            List<Long> counts = histograms.get(feature.key());
            if (counts == null) {
                throw new IllegalArgumentException("prediction summary has no '" + feature.key() + "' histogram");
            }
            if (feature != Feature.PREDICTED_CLASS && counts.size() != feature.bins(0)) {
                throw new IllegalArgumentException("'" + feature.key() + "' has " + counts.size() + " bins, expected "
                        + feature.bins(0));
            }
            for (Long c : counts) {
                if (c == null || c < 0) {
                    throw new IllegalArgumentException("'" + feature.key() + "' has a missing or negative count");
                }
            }
            copy.put(feature.key(), List.copyOf(counts));
        }
        if (copy.get(Feature.PREDICTED_CLASS.key()).isEmpty()) {
            throw new IllegalArgumentException("'" + Feature.PREDICTED_CLASS.key() + "' needs one bin per class");
        }
        long classTotal = copy.get(Feature.PREDICTED_CLASS.key()).stream().mapToLong(Long::longValue).sum();
        if (classTotal != samples) {
            throw new IllegalArgumentException("samples is " + samples + " but the predicted classes add up to "
                    + classTotal);
        }
        histograms = java.util.Collections.unmodifiableMap(copy);
    }

    /** A summary of nothing, for {@code numClasses} classes. */
    public static PredictionSummary empty(String modelVersion, int numClasses, Instant start, Instant end) {
        Map<String, List<Long>> histograms = new LinkedHashMap<>();
        for (Feature feature : Feature.values()) {
            histograms.put(feature.key(), java.util.Collections.nCopies(feature.bins(numClasses), 0L));
        }
        return new PredictionSummary(FORMAT_VERSION, modelVersion, start.toString(), end.toString(), 0, histograms);
    }

    /** The same counts attributed to {@code version}: a baseline computed before the version was known. */
    public PredictionSummary withModelVersion(String version) {
        return new PredictionSummary(formatVersion, version, windowStart, windowEnd, samples, histograms);
    }

    public Instant start() {
        return Instant.parse(windowStart);
    }

    public Instant end() {
        return Instant.parse(windowEnd);
    }

    public int numClasses() {
        return histograms.get(Feature.PREDICTED_CLASS.key()).size();
    }

    /** The counts of one feature's bins. */
    public long[] counts(Feature feature) {
        return histograms.get(feature.key()).stream().mapToLong(Long::longValue).toArray();
    }

    /**
     * Adds {@code other}'s counts to these; the window becomes the span of both. Both must
     * describe the same model with the same classes: mixing models would hide a drift of one.
     */
    public PredictionSummary merge(PredictionSummary other) {
        if (!modelVersion.equals(other.modelVersion)) {
            throw new IllegalArgumentException("cannot merge summaries of model " + modelVersion + " and model "
                    + other.modelVersion);
        }
        if (numClasses() != other.numClasses()) {
            throw new IllegalArgumentException("cannot merge summaries with " + numClasses() + " and "
                    + other.numClasses() + " classes");
        }
        Map<String, List<Long>> sum = new LinkedHashMap<>();
        for (Feature feature : Feature.values()) {
            List<Long> a = histograms.get(feature.key());
            List<Long> b = other.histograms.get(feature.key());
            List<Long> c = new ArrayList<>(a.size());
            for (int i = 0; i < a.size(); i++) {
                c.add(a.get(i) + b.get(i));
            }
            sum.put(feature.key(), c);
        }
        Instant start = start().isBefore(other.start()) ? start() : other.start();
        Instant end = end().isAfter(other.end()) ? end() : other.end();
        return new PredictionSummary(FORMAT_VERSION, modelVersion, start.toString(), end.toString(),
                samples + other.samples, sum);
    }

    public void write(Path file) {
        Json.writeAtomically(file, this);
    }

    public static PredictionSummary read(Path file) {
        return Json.read(file, PredictionSummary.class);
    }

    private static Instant parse(String value, String name) {
        if (value == null) {
            throw new IllegalArgumentException(name + " is missing");
        }
        try {
            return Instant.parse(value);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(name + " '" + value + "' is not an ISO-8601 instant");
        }
    }
}
