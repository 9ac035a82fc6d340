package org.mnistpipeline.pipeline;

import java.util.List;

/**
 * What one retraining run is asked to do: the root of the pipeline's JSON state, as a Step
 * Functions execution would receive it. Every field has a default ({@link #defaults()}), so an
 * empty JSON object is a valid request.
 *
 * @param sources               batch directories to ingest in this run
 * @param inbox                 a directory whose subdirectories are batches (re-ingesting is a no-op), or null
 * @param reason                why the run started: manual, scheduled, drift
 * @param force                 retrain even without enough new data
 * @param mode                  incremental (warm start + replay) or full (from scratch on everything)
 * @param fallbackToFull        when an incremental challenger fails the gate, try a full retrain
 * @param minNewImages          new labelled images needed before a retrain is worth it
 * @param replayRatio           earlier images replayed per new image, against forgetting
 * @param incrementalEpochs     fine-tuning epochs
 * @param learningRateScale     fine-tuning peak learning rate as a share of the champion's
 * @param holdoutFraction       share of each new batch held back for the gate
 * @param tolerancePoints       accuracy the challenger may lose on the original test set, in points
 * @param maxQuarantineFraction a batch with more rejected records than this is refused as a whole
 * @param alias                 the alias that names the champion
 * @param seed                  seeds replay sampling, holdouts and training
 */
public record RetrainRequest(
        List<String> sources,
        String inbox,
        String reason,
        boolean force,
        Mode mode,
        Boolean fallbackToFull,
        Integer minNewImages,
        Double replayRatio,
        Integer incrementalEpochs,
        Double learningRateScale,
        Double holdoutFraction,
        Double tolerancePoints,
        Double maxQuarantineFraction,
        String alias,
        Long seed) {

    public enum Mode { INCREMENTAL, FULL }

    public RetrainRequest {
        sources = sources == null ? List.of() : List.copyOf(sources);
        reason = reason == null ? "manual" : reason;
        mode = mode == null ? Mode.INCREMENTAL : mode;
        fallbackToFull = fallbackToFull == null || fallbackToFull;
        minNewImages = minNewImages == null ? 1000 : minNewImages;
        replayRatio = replayRatio == null ? 1.5 : replayRatio;
        incrementalEpochs = incrementalEpochs == null ? 3 : incrementalEpochs;
        learningRateScale = learningRateScale == null ? 0.7 : learningRateScale;
        holdoutFraction = holdoutFraction == null ? 0.2 : holdoutFraction;
        tolerancePoints = tolerancePoints == null ? 0.1 : tolerancePoints;
        maxQuarantineFraction = maxQuarantineFraction == null ? 0.5 : maxQuarantineFraction;
        alias = alias == null ? "production" : alias;
        seed = seed == null ? 1L : seed;
        require(minNewImages >= 0, "min new images must be >= 0");
        require(replayRatio >= 0 && replayRatio <= 20, "replay ratio must be in [0, 20]");
        require(incrementalEpochs > 0, "incremental epochs must be positive");
        require(learningRateScale > 0 && learningRateScale <= 1, "learning-rate scale must be in (0, 1]");
        require(holdoutFraction > 0 && holdoutFraction < 1, "holdout fraction must be in (0, 1)");
        require(tolerancePoints >= 0, "tolerance must be >= 0 points");
        require(maxQuarantineFraction >= 0 && maxQuarantineFraction <= 1, "max quarantine fraction must be in [0, 1]");
    }

    public static RetrainRequest defaults() {
        return new RetrainRequest(null, null, null, false, null, null, null, null, null, null, null, null, null, null,
                null);
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
