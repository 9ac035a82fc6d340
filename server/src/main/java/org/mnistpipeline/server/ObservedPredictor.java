package org.mnistpipeline.server;

import java.util.List;
import java.util.function.IntConsumer;
import org.mnistpipeline.inference.Prediction;
import org.mnistpipeline.inference.Predictor;

/** Reports the size of every forward pass, the number the batch-size histogram is about. */
final class ObservedPredictor implements Predictor {
    private final Predictor delegate;
    private final IntConsumer batchSizes;

    ObservedPredictor(Predictor delegate, IntConsumer batchSizes) {
        this.delegate = delegate;
        this.batchSizes = batchSizes;
    }

    @Override
    public Prediction predict(float[] image) {
        batchSizes.accept(1);
        return delegate.predict(image);
    }

    @Override
    public List<Prediction> predictBatch(List<float[]> images) {
        batchSizes.accept(images.size());
        return delegate.predictBatch(images);
    }

    @Override
    public String modelVersion() {
        return delegate.modelVersion();
    }

    @Override
    public int inputSize() {
        return delegate.inputSize();
    }

    @Override
    public void close() {
        delegate.close();
    }

    @Override
    public String toString() {
        return delegate.toString();
    }
}
