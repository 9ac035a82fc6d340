package org.mnistpipeline.train;

import org.mnistpipeline.eval.EpochMetrics;

/** What the training loop reports as it goes. Default methods do nothing. */
public interface TrainingListener {
    /** After each optimiser step; {@code done} of {@code total} images this epoch. */
    default void onBatch(int epoch, int epochs, int done, int total, double loss, double imagesPerSecond) {}

    /** After each epoch has been evaluated and checkpointed. */
    default void onEpoch(EpochMetrics metrics) {}

    default void onMessage(String message) {}
}
