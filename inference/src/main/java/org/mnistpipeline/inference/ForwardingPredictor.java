package org.mnistpipeline.inference;

import java.util.List;

/** A predictor wrapped around another (to count, batch or monitor): everything it does not override goes through. */
public abstract class ForwardingPredictor implements Predictor {
    protected final Predictor delegate;

    protected ForwardingPredictor(Predictor delegate) {
        this.delegate = delegate;
    }

    @Override
    public Prediction predict(float[] image) {
        return delegate.predict(image);
    }

    @Override
    public List<Prediction> predictBatch(List<float[]> images) {
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
