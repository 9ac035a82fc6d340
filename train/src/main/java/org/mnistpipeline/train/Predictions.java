package org.mnistpipeline.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.ParameterStore;
import org.mnistpipeline.data.LabeledImages;

/** Class probabilities for a set of images, computed in batches in inference mode. */
public final class Predictions {
    private Predictions() {}

    public static float[][] probabilities(SequentialBlock net, ParameterStore parameters, NDManager manager,
            LabeledImages images, int batchSize) {
        int n = images.size();
        int pixels = images.pixelsPerImage();
        float[][] result = new float[n][];
        for (int from = 0; from < n; from += batchSize) {
            int size = Math.min(batchSize, n - from);
            float[] x = new float[size * pixels];
            for (int i = 0; i < size; i++) {
                images.imageAsFloats(from + i, x, i * pixels);
            }
            try (NDManager step = manager.newSubManager()) {
                NDArray input = step.create(x, new Shape(size, 1, images.rows(), images.cols()));
                NDArray probs = net.forward(parameters, new NDList(input), false).singletonOrThrow().softmax(1);
                float[] flat = probs.toFloatArray();
                int classes = flat.length / size;
                for (int i = 0; i < size; i++) {
                    result[from + i] = java.util.Arrays.copyOfRange(flat, i * classes, (i + 1) * classes);
                }
            }
        }
        return result;
    }

    /** Raw logits (before softmax), flattened row-major; used for parity checks against other engines. */
    public static float[] logits(SequentialBlock net, ParameterStore parameters, NDManager manager, float[] x,
            int count, int rows, int cols) {
        try (NDManager step = manager.newSubManager()) {
            NDArray input = step.create(x, new Shape(count, 1, rows, cols));
            return net.forward(parameters, new NDList(input), false).singletonOrThrow().toFloatArray();
        }
    }
}
