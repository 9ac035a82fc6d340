package org.mnistpipeline.model;

import java.util.List;

/**
 * A network as data: input shape, a list of layers, and the number of output classes (the last
 * dense layer). {@link #validate()} walks the shapes so a bad spec fails when it is built,
 * not half-way through training.
 *
 * @param name   a preset name such as {@code small} or {@code strong}, or {@code custom}
 * @param input  input shape as {@code [channels, height, width]}
 */
public record ArchitectureSpec(String name, int[] input, List<Layer> layers) {

    public ArchitectureSpec {
        layers = List.copyOf(layers);
        input = input.clone();
        validateShapes(input, layers);
    }

    /** Number of classes: the units of the final dense layer. */
    public int numClasses() {
        return ((Layer.Dense) layers.getLast()).units();
    }

    /** Trainable parameter count (weights and biases; batch-norm gamma and beta). */
    public long parameterCount() {
        return validateShapes(input, layers);
    }

    /** Returns the number of trainable parameters; throws IllegalArgumentException on a bad spec. */
    private static long validateShapes(int[] input, List<Layer> layers) {
        if (input.length != 3 || input[0] <= 0 || input[1] <= 0 || input[2] <= 0) {
            throw new IllegalArgumentException("input shape must be [channels, height, width] with positive sizes");
        }
        if (layers.isEmpty() || !(layers.getLast() instanceof Layer.Dense)) {
            throw new IllegalArgumentException("the last layer must be dense (it gives the class scores)");
        }
        int c = input[0];
        int h = input[1];
        int w = input[2];
        int features = -1; // set once flattened
        long params = 0;
        for (int i = 0; i < layers.size(); i++) {
            Layer layer = layers.get(i);
            String where = "layer " + i + " (" + layer + ")";
            switch (layer) {
                case Layer.Conv2d conv -> {
                    if (features >= 0) {
                        throw new IllegalArgumentException(where + ": conv2d after flatten");
                    }
                    params += (long) conv.filters() * c * conv.kernel() * conv.kernel() + conv.filters();
                    h = (h + 2 * conv.padding() - conv.kernel()) / conv.stride() + 1;
                    w = (w + 2 * conv.padding() - conv.kernel()) / conv.stride() + 1;
                    c = conv.filters();
                }
                case Layer.MaxPool pool -> {
                    if (features >= 0) {
                        throw new IllegalArgumentException(where + ": maxpool after flatten");
                    }
                    h /= pool.size();
                    w /= pool.size();
                }
                case Layer.BatchNorm bn -> params += 2L * (features >= 0 ? features : c);
                case Layer.Flatten flatten -> {
                    if (features >= 0) {
                        throw new IllegalArgumentException(where + ": flattened twice");
                    }
                    features = c * h * w;
                }
                case Layer.Dense dense -> {
                    if (features < 0) {
                        throw new IllegalArgumentException(where + ": dense before flatten");
                    }
                    params += (long) features * dense.units() + dense.units();
                    features = dense.units();
                }
                case Layer.Normalize normalize -> { }
                case Layer.Relu relu -> { }
                case Layer.Dropout dropout -> { }
            }
            if (h <= 0 || w <= 0) {
                throw new IllegalArgumentException(where + ": feature map shrank to " + h + "x" + w);
            }
        }
        return params;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ArchitectureSpec other && name.equals(other.name)
                && java.util.Arrays.equals(input, other.input) && layers.equals(other.layers);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + layers.hashCode();
    }

    @Override
    public String toString() {
        return name + layers;
    }
}
