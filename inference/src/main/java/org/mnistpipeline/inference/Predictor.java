package org.mnistpipeline.inference;

import java.util.List;

/**
 * Classifies images already in the MNIST convention: 28×28 floats in [0, 1], ink bright on a
 * dark background, row-major (see {@link ImagePreprocessor} for real images). Thread-safe.
 */
public interface Predictor extends AutoCloseable {
    Prediction predict(float[] image);

    /** One forward pass for all images; results in input order. */
    List<Prediction> predictBatch(List<float[]> images);

    String modelVersion();

    /** Pixels per image the model expects (784 for MNIST). */
    int inputSize();

    @Override
    void close();
}
