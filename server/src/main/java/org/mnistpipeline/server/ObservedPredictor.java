package org.mnistpipeline.server;

import java.util.List;
import java.util.function.IntConsumer;
import org.mnistpipeline.inference.ForwardingPredictor;
import org.mnistpipeline.inference.Prediction;
import org.mnistpipeline.inference.Predictor;

/** Reports the size of every forward pass, the number the batch-size histogram is about. */
final class ObservedPredictor extends ForwardingPredictor {
    private final IntConsumer batchSizes;

    ObservedPredictor(Predictor delegate, IntConsumer batchSizes) {
        super(delegate);
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
}
