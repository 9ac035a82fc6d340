package org.mnistpipeline.eval;

/**
 * One epoch of training as logged: the JSON-lines file holds one of these per line, and the
 * console prints the same facts in a fixed {@code key=value} format for log scrapers.
 */
public record EpochMetrics(
        int epoch,
        double trainLoss,
        double trainAccuracy,
        double validationLoss,
        double validationAccuracy,
        double learningRate,
        double seconds,
        double imagesPerSecond) {

    /** The scrape-friendly line, e.g. {@code epoch=3 train_loss=0.0412 val_accuracy=0.9921 ...}. */
    public String logLine() {
        return String.format(java.util.Locale.ROOT,
                "epoch=%d train_loss=%.4f train_accuracy=%.4f val_loss=%.4f val_accuracy=%.4f lr=%.6f"
                        + " epoch_seconds=%.1f images_per_second=%.1f",
                epoch, trainLoss, trainAccuracy, validationLoss, validationAccuracy, learningRate, seconds,
                imagesPerSecond);
    }
}
