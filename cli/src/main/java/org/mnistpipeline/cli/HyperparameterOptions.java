package org.mnistpipeline.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.model.Augmentation;
import org.mnistpipeline.model.Hyperparameters;
import picocli.CommandLine.Option;

/** Training flags shared by {@code train}, {@code tune} and {@code demo}; each overrides the preset. */
final class HyperparameterOptions {
    @Option(names = "--preset", paramLabel = "NAME|FILE",
            description = "Starting recipe: strong (default), fast, or a preset JSON file saved by `mnist tune`.")
    String preset;

    @Option(names = "--architecture", description = "Network: small, strong or reference.")
    String architecture;

    @Option(names = "--width", description = "Channel multiplier.")
    Float width;

    @Option(names = "--dropout", description = "Dense-layer dropout rate.")
    Float dropout;

    @Option(names = "--epochs", description = "Maximum epochs.")
    Integer epochs;

    @Option(names = "--batch-size", description = "Images per step.")
    Integer batchSize;

    @Option(names = "--optimizer", description = "adamw or sgd (with momentum).")
    Hyperparameters.Optimizer optimizer;

    @Option(names = "--lr", description = "Peak learning rate.")
    Float learningRate;

    @Option(names = "--weight-decay", description = "Weight decay (decoupled for AdamW).")
    Float weightDecay;

    @Option(names = "--momentum", description = "SGD momentum.")
    Float momentum;

    @Option(names = "--schedule", description = "onecycle, cosine or constant.")
    Hyperparameters.Schedule schedule;

    @Option(names = "--warmup", description = "Share of steps spent warming up.")
    Float warmup;

    @Option(names = "--label-smoothing", description = "Label smoothing epsilon (0 = off).")
    Float labelSmoothing;

    @Option(names = "--augment", paramLabel = "STRENGTH",
            description = "Augmentation strength: 1 = up to 10° rotation, 2 px shift, 10% zoom; 0 = off.")
    Float augment;

    @Option(names = "--patience", description = "Early-stopping patience in epochs (0 = off).")
    Integer patience;

    @Option(names = "--validation-size", description = "Images held out from training for validation.")
    Integer validationSize;

    @Option(names = "--max-train-images", description = "Train on the first N images only (0 = all).")
    Integer maxTrainImages;

    @Option(names = "--seed", description = "Random seed.")
    Long seed;

    /** The preset named by --preset (or {@code fallback}) with every given flag applied. */
    Hyperparameters resolve(String fallback) {
        Hyperparameters base = load(preset == null ? fallback : preset);
        Augmentation aug = augment == null ? base.augmentation() : Augmentation.ofStrength(augment);
        return new Hyperparameters(
                architecture != null ? architecture : base.architecture(),
                width != null ? width : base.width(),
                dropout != null ? dropout : base.dropout(),
                epochs != null ? epochs : base.epochs(),
                batchSize != null ? batchSize : base.batchSize(),
                optimizer != null ? optimizer : base.optimizer(),
                learningRate != null ? learningRate : base.learningRate(),
                weightDecay != null ? weightDecay : base.weightDecay(),
                momentum != null ? momentum : base.momentum(),
                schedule != null ? schedule : base.schedule(),
                warmup != null ? warmup : base.warmupFraction(),
                labelSmoothing != null ? labelSmoothing : base.labelSmoothing(),
                aug,
                patience != null ? patience : base.patience(),
                validationSize != null ? validationSize : base.validationSize(),
                maxTrainImages != null ? maxTrainImages : base.maxTrainImages(),
                seed != null ? seed : base.seed());
    }

    static Hyperparameters load(String preset) {
        return switch (preset) {
            case "strong" -> Hyperparameters.strongDefaults();
            case "fast" -> Hyperparameters.fastDefaults();
            default -> {
                Path file = Path.of(preset);
                if (!Files.isRegularFile(file)) {
                    throw new IllegalArgumentException("unknown preset '" + preset
                            + "': use strong, fast or a preset JSON file written by `mnist tune`");
                }
                yield Json.read(file, Hyperparameters.class);
            }
        };
    }
}
