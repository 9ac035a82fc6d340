package org.mnistpipeline.model;

import java.util.ArrayList;
import java.util.List;
import org.mnistpipeline.model.Layer.BatchNorm;
import org.mnistpipeline.model.Layer.Conv2d;
import org.mnistpipeline.model.Layer.Dense;
import org.mnistpipeline.model.Layer.Dropout;
import org.mnistpipeline.model.Layer.Flatten;
import org.mnistpipeline.model.Layer.MaxPool;
import org.mnistpipeline.model.Layer.Normalize;
import org.mnistpipeline.model.Layer.Relu;

/** The preset networks. Width scales channel counts; dropout is the dense-layer drop rate. */
public final class Architectures {
    public static final List<String> NAMES = List.of("small", "strong", "reference");

    /** MNIST pixel statistics (mean and std of the training set scaled to [0, 1]). */
    public static final Normalize MNIST_NORMALIZE = new Normalize(0.1307f, 0.3081f);

    private Architectures() {}

    public static ArchitectureSpec byName(String name, int[] input, int numClasses, float width, float dropout) {
        return switch (name) {
            case "small" -> small(input, numClasses, width);
            case "strong" -> strong(input, numClasses, width, dropout);
            case "reference" -> reference(input, numClasses);
            default -> throw new IllegalArgumentException(
                    "unknown architecture '" + name + "'; choose one of " + NAMES);
        };
    }

    /** Fast: two 5x5 conv blocks with batch norm, then one dense layer. */
    public static ArchitectureSpec small(int[] input, int numClasses, float width) {
        int c1 = scaled(16, width);
        int c2 = scaled(32, width);
        return new ArchitectureSpec("small", input, List.of(MNIST_NORMALIZE,
                new Conv2d(c1, 5, 1, 2), new BatchNorm(), new Relu(), new MaxPool(2),
                new Conv2d(c2, 5, 1, 2), new BatchNorm(), new Relu(), new MaxPool(2),
                new Flatten(), new Dense(numClasses)));
    }

    /**
     * Stronger: three conv stages with batch norm (28→14→7→3), a batch-normalised dense layer
     * with dropout. Chosen by measurement (see README, "Choosing the recipe").
     */
    public static ArchitectureSpec strong(int[] input, int numClasses, float width, float dropout) {
        int c1 = scaled(32, width);
        int c2 = scaled(64, width);
        int c3 = scaled(128, width);
        List<Layer> layers = new ArrayList<>(List.of(MNIST_NORMALIZE,
                new Conv2d(c1, 5, 1, 2), new BatchNorm(), new Relu(), new MaxPool(2),
                new Conv2d(c2, 3, 1, 1), new BatchNorm(), new Relu(),
                new Conv2d(c2, 3, 1, 1), new BatchNorm(), new Relu(), new MaxPool(2),
                new Conv2d(c3, 3, 1, 1), new BatchNorm(), new Relu(), new MaxPool(2),
                new Flatten(),
                new Dense(scaled(128, width)), new BatchNorm(), new Relu(), new Dropout(dropout),
                new Dense(numClasses)));
        return new ArchitectureSpec("strong", input, layers);
    }

    /** The CNN of the PyTorch MNIST example, kept for side-by-side speed comparison. */
    public static ArchitectureSpec reference(int[] input, int numClasses) {
        return new ArchitectureSpec("reference", input, List.of(MNIST_NORMALIZE,
                new Conv2d(32, 3, 1, 0), new Relu(),
                new Conv2d(64, 3, 1, 0), new Relu(), new MaxPool(2), new Dropout(0.25f),
                new Flatten(), new Dense(128), new Relu(), new Dropout(0.5f),
                new Dense(numClasses)));
    }

    private static int scaled(int channels, float width) {
        return Math.max(4, Math.round(channels * width));
    }
}
