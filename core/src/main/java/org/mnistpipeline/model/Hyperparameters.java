package org.mnistpipeline.model;

/**
 * Everything that decides how a model is trained. Stored in each model package's manifest and in
 * tuning presets, so a run can be repeated exactly. Validated on construction.
 *
 * @param architecture     preset network name ({@link Architectures#NAMES})
 * @param width            channel multiplier for the preset
 * @param dropout          dense-layer dropout rate (strong network)
 * @param epochs           maximum epochs
 * @param batchSize        images per optimiser step
 * @param optimizer        update rule
 * @param learningRate     peak learning rate
 * @param weightDecay      decoupled weight decay (AdamW) or L2 (SGD)
 * @param momentum         SGD momentum (ignored by AdamW)
 * @param schedule         learning-rate schedule over the whole run
 * @param warmupFraction   share of the steps spent warming up (one-cycle, cosine)
 * @param labelSmoothing   0 = plain cross-entropy
 * @param augmentation     random affine applied to training images
 * @param patience         early-stopping patience in epochs on validation accuracy; 0 = off
 * @param validationSize   images held out from the training set for model selection
 * @param maxTrainImages   cap on training images (0 = all), for quick runs
 * @param seed             seeds the split, the initial weights, shuffling and augmentation
 */
public record Hyperparameters(
        String architecture,
        float width,
        float dropout,
        int epochs,
        int batchSize,
        Optimizer optimizer,
        float learningRate,
        float weightDecay,
        float momentum,
        Schedule schedule,
        float warmupFraction,
        float labelSmoothing,
        Augmentation augmentation,
        int patience,
        int validationSize,
        int maxTrainImages,
        long seed) {

    public enum Optimizer { ADAMW, SGD }

    public enum Schedule { ONECYCLE, COSINE, CONSTANT }

    public Hyperparameters {
        if (!Architectures.NAMES.contains(architecture)) {
            throw new IllegalArgumentException("unknown architecture '" + architecture + "'; choose one of "
                    + Architectures.NAMES);
        }
        check(width > 0 && width <= 8, "width must be in (0, 8]");
        check(dropout >= 0 && dropout < 1, "dropout must be in [0, 1)");
        check(epochs > 0, "epochs must be positive");
        check(batchSize > 0 && batchSize <= 4096, "batch size must be in 1..4096");
        check(learningRate > 0 && learningRate < 10, "learning rate must be in (0, 10)");
        check(weightDecay >= 0 && weightDecay < 1, "weight decay must be in [0, 1)");
        check(momentum >= 0 && momentum < 1, "momentum must be in [0, 1)");
        check(warmupFraction >= 0 && warmupFraction < 1, "warm-up fraction must be in [0, 1)");
        check(labelSmoothing >= 0 && labelSmoothing < 1, "label smoothing must be in [0, 1)");
        check(patience >= 0, "patience must be >= 0");
        check(validationSize >= 0, "validation size must be >= 0");
        check(maxTrainImages >= 0, "max train images must be >= 0");
        if (optimizer == null || schedule == null || augmentation == null) {
            throw new IllegalArgumentException("optimizer, schedule and augmentation are required");
        }
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /** The default recipe: the strong network, AdamW with one-cycle, light augmentation. */
    public static Hyperparameters strongDefaults() {
        return new Hyperparameters("strong", 1f, 0.3f, 12, 128, Optimizer.ADAMW, 3e-3f, 1e-4f, 0.9f,
                Schedule.ONECYCLE, 0.2f, 0.05f, Augmentation.ofStrength(1f), 4, 5000, 0, 1L);
    }

    /** The demo recipe: the small network, a few epochs, minutes on two cores. */
    public static Hyperparameters fastDefaults() {
        return new Hyperparameters("small", 1f, 0f, 3, 128, Optimizer.ADAMW, 5e-3f, 1e-4f, 0.9f,
                Schedule.ONECYCLE, 0.2f, 0f, Augmentation.none(), 0, 5000, 0, 1L);
    }

    public ArchitectureSpec buildSpec(int[] input, int numClasses) {
        return Architectures.byName(architecture, input, numClasses, width, dropout);
    }

    public Hyperparameters withEpochs(int value) {
        return new Hyperparameters(architecture, width, dropout, value, batchSize, optimizer, learningRate,
                weightDecay, momentum, schedule, warmupFraction, labelSmoothing, augmentation, patience,
                validationSize, maxTrainImages, seed);
    }

    public Hyperparameters withSeed(long value) {
        return new Hyperparameters(architecture, width, dropout, epochs, batchSize, optimizer, learningRate,
                weightDecay, momentum, schedule, warmupFraction, labelSmoothing, augmentation, patience,
                validationSize, maxTrainImages, value);
    }

    public Hyperparameters withMaxTrainImages(int value) {
        return new Hyperparameters(architecture, width, dropout, epochs, batchSize, optimizer, learningRate,
                weightDecay, momentum, schedule, warmupFraction, labelSmoothing, augmentation, patience,
                validationSize, value, seed);
    }

    /** The same recipe adjusted for fine-tuning: another learning rate, validation size and patience. */
    public Hyperparameters forFineTuning(int newEpochs, float newLearningRate, int newValidationSize) {
        return new Hyperparameters(architecture, width, dropout, newEpochs, batchSize, optimizer, newLearningRate,
                weightDecay, momentum, schedule, warmupFraction, labelSmoothing, augmentation, 0, newValidationSize,
                0, seed);
    }
}
