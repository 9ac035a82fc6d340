package org.mnistpipeline.pipeline;

import java.util.List;

/**
 * What one retraining run is asked to do: the root of the pipeline's JSON state, as a Step
 * Functions execution would receive it. Every field has a default ({@link #defaults()}), so an
 * empty JSON object is a valid request (every field {@link MayBeAbsent}); in code, {@link #builder()}
 * sets only what differs.
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
        @MayBeAbsent List<String> sources,
        @MayBeAbsent String inbox,
        @MayBeAbsent String reason,
        @MayBeAbsent boolean force,
        @MayBeAbsent Mode mode,
        @MayBeAbsent Boolean fallbackToFull,
        @MayBeAbsent Integer minNewImages,
        @MayBeAbsent Double replayRatio,
        @MayBeAbsent Integer incrementalEpochs,
        @MayBeAbsent Double learningRateScale,
        @MayBeAbsent Double holdoutFraction,
        @MayBeAbsent Double tolerancePoints,
        @MayBeAbsent Double maxQuarantineFraction,
        @MayBeAbsent String alias,
        @MayBeAbsent Long seed) {

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
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this request's values, to change some of them. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.sources = sources;
        b.inbox = inbox;
        b.reason = reason;
        b.force = force;
        b.mode = mode;
        b.fallbackToFull = fallbackToFull;
        b.minNewImages = minNewImages;
        b.replayRatio = replayRatio;
        b.incrementalEpochs = incrementalEpochs;
        b.learningRateScale = learningRateScale;
        b.holdoutFraction = holdoutFraction;
        b.tolerancePoints = tolerancePoints;
        b.maxQuarantineFraction = maxQuarantineFraction;
        b.alias = alias;
        b.seed = seed;
        return b;
    }

    /** Optional settings by name; unset ones take the defaults documented on the record. */
    public static final class Builder {
        private List<String> sources;
        private String inbox;
        private String reason;
        private boolean force;
        private Mode mode;
        private Boolean fallbackToFull;
        private Integer minNewImages;
        private Double replayRatio;
        private Integer incrementalEpochs;
        private Double learningRateScale;
        private Double holdoutFraction;
        private Double tolerancePoints;
        private Double maxQuarantineFraction;
        private String alias;
        private Long seed;

        private Builder() {}

        public Builder sources(List<String> value) {
            sources = value;
            return this;
        }

        public Builder inbox(String value) {
            inbox = value;
            return this;
        }

        public Builder reason(String value) {
            reason = value;
            return this;
        }

        public Builder force(boolean value) {
            force = value;
            return this;
        }

        public Builder mode(Mode value) {
            mode = value;
            return this;
        }

        public Builder fallbackToFull(Boolean value) {
            fallbackToFull = value;
            return this;
        }

        public Builder minNewImages(Integer value) {
            minNewImages = value;
            return this;
        }

        public Builder replayRatio(Double value) {
            replayRatio = value;
            return this;
        }

        public Builder incrementalEpochs(Integer value) {
            incrementalEpochs = value;
            return this;
        }

        public Builder learningRateScale(Double value) {
            learningRateScale = value;
            return this;
        }

        public Builder holdoutFraction(Double value) {
            holdoutFraction = value;
            return this;
        }

        public Builder tolerancePoints(Double value) {
            tolerancePoints = value;
            return this;
        }

        public Builder maxQuarantineFraction(Double value) {
            maxQuarantineFraction = value;
            return this;
        }

        public Builder alias(String value) {
            alias = value;
            return this;
        }

        public Builder seed(Long value) {
            seed = value;
            return this;
        }

        /** The request, validated; IllegalArgumentException names the first bad setting. */
        public RetrainRequest build() {
            return new RetrainRequest(sources, inbox, reason, force, mode, fallbackToFull, minNewImages, replayRatio,
                    incrementalEpochs, learningRateScale, holdoutFraction, tolerancePoints, maxQuarantineFraction,
                    alias, seed);
        }
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
